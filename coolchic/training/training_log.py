"""The training log of an encode in ``EncoderOptions.workdir``: one TSV row per test point."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from pathlib import Path
from typing import Iterator

from coolchic.training.progress import ProgressCallback, ProgressEvent

_SERIAL = itertools.count(1)

COLUMNS = ("phase", "iteration", "total_iterations", "loss", "bpp", "psnr_db", "done", "planned", "elapsed_s")


@contextlib.contextmanager
def training_log(workdir: str | Path | None, progress: ProgressCallback | None) -> Iterator[ProgressCallback | None]:
    """``progress``, extended to also write every event to a new ``training-*.tsv`` in
    ``workdir`` (created if missing); ``progress`` itself when ``workdir`` is None.

    Each encode gets its own file (time, process id and a serial number in the name), so encodes sharing a
    folder, as a batch does, never mix their rows. ``OSError`` if the file cannot be made.
    """
    if workdir is None:
        yield progress
        return
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"training-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_SERIAL)}.tsv"
    with path.open("x", encoding="utf-8") as log:
        log.write("\t".join(COLUMNS) + "\n")

        def write(event: ProgressEvent) -> None:
            row = [getattr(event, name) for name in COLUMNS]
            log.write("\t".join("" if value is None else str(value) for value in row) + "\n")
            log.flush()
            if progress is not None:
                progress(event)

        yield write
