"""``workdir``: every encode writes its training log there."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training.encoder import ProgressEvent, fit
from coolchic.training.training_log import COLUMNS

TINY = dict(n_itr=20, seed=0, threads=1, layers_arm="8,8", layers_synthesis="8-1-linear-relu,X-1-linear-none",
            n_ft_per_res="1,1,1", recipe="lean")


def _image() -> Planes:
    rng = np.random.default_rng(0)
    return Planes("rgb", 8, tuple(rng.integers(0, 256, (24, 32), dtype=np.uint8) for _ in range(3)))


def test_an_encode_logs_every_test_point_in_its_workdir(tmp_path: Path) -> None:
    workdir = tmp_path / "new" / "logs"
    events: list[ProgressEvent] = []
    fit(_image(), EncoderOptions(**TINY, workdir=workdir), progress=events.append)
    (path,) = workdir.glob("training-*.tsv")
    with path.open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["phase"], int(r["iteration"]), float(r["loss"])) for r in rows] == [
        (e.phase, e.iteration, e.loss) for e in events
    ]
    assert {"warmup1", "phase0", "ste"} == {r["phase"] for r in rows}


def test_encodes_sharing_a_workdir_get_their_own_logs(tmp_path: Path) -> None:
    for _ in range(2):
        fit(_image(), EncoderOptions(**TINY, workdir=str(tmp_path)))
    assert len(list(tmp_path.glob("training-*.tsv"))) == 2


def test_a_workdir_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        fit(_image(), EncoderOptions(**TINY, workdir=blocker))
