"""``coolchic encode`` on several inputs / a folder (parallel processes), progress ETA, Ctrl-C flag."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from coolchic.container import read_container
from coolchic.training.progress import ProgressEvent
from coolchic_cli.batch import expand_inputs, output_path
from coolchic_cli.main import cli
from coolchic_cli.progress import Progress

from integration_helpers import CLI_TINY, rgb_image


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    for i, (w, h) in enumerate(((32, 24), (24, 16))):
        Image.fromarray(rgb_image(w, h)).save(src / f"img{i}.png")
    (src / "notes.txt").write_text("not an image")
    return src


def test_expand_inputs_and_output_names(folder: Path) -> None:
    files = expand_inputs((str(folder),))
    assert [Path(f).name for f in files] == ["img0.png", "img1.png"]
    assert output_path(files[0], None) == str(folder / "img0.cool")
    assert output_path(files[0], "/x") == "/x/img0.cool"


def test_folder_is_encoded_in_parallel_processes(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run("encode", str(folder), "-o", str(out), "-J", "2", *CLI_TINY)
    assert result.exit_code == 0, result.output
    sizes = {}
    for name in ("img0", "img1"):
        header = read_container((out / f"{name}.cool").read_bytes(), max_pixels=None)[0]
        sizes[name] = (header.width, header.height)
    assert sizes == {"img0": (32, 24), "img1": (24, 16)}
    assert "2/2 encoded" in result.output
    # outputs are never overwritten silently
    again = _run("encode", str(folder), "-o", str(out), *CLI_TINY)
    assert again.exit_code == 2


def test_batch_rejects_stdout(folder: Path) -> None:
    assert _run("encode", str(folder), "-o", "-", *CLI_TINY).exit_code == 2


def test_write_best_on_interrupt_flag_is_accepted(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    Image.fromarray(rgb_image()).save(src)
    result = _run("encode", str(src), "--write-best-on-interrupt", "--recipe", "lean", *CLI_TINY)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.cool").exists()


def test_progress_lines_show_overall_percent_and_eta() -> None:
    stream = io.StringIO()
    progress = Progress(stream, live=False)
    progress(ProgressEvent("phase0", 10, 100, 0.01, 1.0, 30.0, done=50, planned=200, elapsed_s=5.0, eta_s=75.0))
    progress.close()
    line = stream.getvalue()
    assert "25% phase phase0" in line and "eta 1m15s" in line
