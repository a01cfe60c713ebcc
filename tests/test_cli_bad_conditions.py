"""The installed ``coolchic`` command under bad conditions: each failure is one line on
stderr (``coolchic: error: ...``) with exit status 1 (2 for usage errors), never a traceback.

Runs as any user, root included: the unreadable input is ``/proc/self/mem`` (reading its
first page fails with EIO even for root) and the unwritable output a missing folder.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from coolchic.c3.payload import write_payload
from coolchic.container import ContainerHeader, write_container

from c3_frames import random_frame, small_arch
from integration_helpers import cli_command, subprocess_env


@pytest.fixture(scope="module")
def cool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid 28x20 RGB .cool file (written without training)."""
    frame = random_frame(np.random.default_rng(3), small_arch(), 20, 28)
    path = tmp_path_factory.mktemp("cli") / "ok.cool"
    path.write_bytes(write_container(write_payload(frame), ContainerHeader(28, 20, "rgb", 8)))
    return path


def _run(args: list[str], *, stdin: object = subprocess.DEVNULL, stdout: object = subprocess.PIPE,
         input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*cli_command(), *args], stdin=None if input is not None else stdin, stdout=stdout,
        stderr=subprocess.PIPE, input=input, env=subprocess_env(), timeout=120, check=False,
    )


def _one_line_error(result: subprocess.CompletedProcess[bytes], *fragments: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coolchic: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err


@pytest.mark.parametrize("command", [["info"], ["decode"]])
def test_missing_file(command: list[str], tmp_path: Path) -> None:
    _one_line_error(_run([*command, str(tmp_path / "missing.cool")]), "missing.cool", "No such file")


def test_missing_file_convert_and_encode(tmp_path: Path) -> None:
    _one_line_error(_run(["convert", str(tmp_path / "missing.cool"), str(tmp_path / "x.bin")]), "No such file")
    _one_line_error(_run(["encode", str(tmp_path / "missing.png"), "-o", str(tmp_path / "x.cool")]), "No such file")


@pytest.mark.parametrize("command", [["info"], ["decode"]])
def test_directory_given_as_a_file(command: list[str], tmp_path: Path) -> None:
    _one_line_error(_run([*command, str(tmp_path)]), str(tmp_path), "Is a directory")


def test_directory_given_as_a_file_to_convert(tmp_path: Path) -> None:
    _one_line_error(_run(["convert", str(tmp_path), str(tmp_path / "x.bin")]), "Is a directory")


@pytest.mark.parametrize("command", [["info"], ["decode", "-o", "never.png"], ["encode", "-o", "never.cool"]])
def test_unreadable_input(command: list[str], tmp_path: Path) -> None:
    args = [command[0], "/proc/self/mem", *[str(tmp_path / a) if a.startswith("never") else a for a in command[1:]]]
    _one_line_error(_run(args), "/proc/self/mem", "Input/output error")
    assert not list(tmp_path.iterdir())


def test_unwritable_output(cool: Path, tmp_path: Path) -> None:
    out = tmp_path / "missing-folder" / "x.png"
    _one_line_error(_run(["decode", str(cool), "-o", str(out)]), str(out), "No such file")


def test_output_is_a_directory(cool: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dir.png"
    folder.mkdir()
    _one_line_error(_run(["decode", str(cool), "-o", str(folder)]), str(folder))
    assert folder.is_dir() and not list(folder.iterdir())


@pytest.mark.parametrize("args", [["decode", "{cool}", "-f", "png", "-o", "-"], ["convert", "{cool}", "-", "-f", "bin"], ["info", "{cool}"]])
def test_closed_stdout(args: list[str], cool: Path) -> None:
    result = subprocess.run(
        [*cli_command(), *[a.format(cool=cool) for a in args]], stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE, env=subprocess_env(), timeout=120, check=False,
        preexec_fn=lambda: os.close(1),
    )
    _one_line_error(result, "stdout", "closed")


def test_closed_stdin(tmp_path: Path) -> None:
    result = subprocess.run(
        [*cli_command(), "decode", "-", "-o", str(tmp_path / "x.png")], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=subprocess_env(), timeout=120, check=False,
        preexec_fn=lambda: os.close(0),
    )
    _one_line_error(result, "stdin", "closed")


@pytest.mark.parametrize("command", [["decode", "-", "-f", "png"], ["info", "-"], ["encode", "-", "-o", "-"]])
@pytest.mark.parametrize("data", [b"", b"hello, not an image\n", bytes(range(256))], ids=["empty", "text", "binary"])
def test_stdin_empty_or_not_an_image(command: list[str], data: bytes) -> None:
    result = _run(command, input=data)
    _one_line_error(result)
    assert result.stdout == b""


def test_usage_errors_exit_2(cool: Path) -> None:
    for args in (["decode"], ["nonsense-command"], ["decode", str(cool), "-o", "x.unknown-ext"], ["info"]):
        result = _run(args)
        assert result.returncode == 2, result.stderr
        assert b"Traceback" not in result.stderr


def test_unusable_device_is_a_usage_error_before_any_work(tmp_path: Path) -> None:
    from PIL import Image

    for name in ("a", "b"):
        Image.new("RGB", (8, 8), (10, 200, 30)).save(tmp_path / f"{name}.png")
    out = tmp_path / "out"
    result = _run(["encode", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-o", str(out),
                   "--device", "cuda:99"])  # no machine has 100 GPUs; a CPU-only torch has none
    assert result.returncode == 2, result.stderr
    assert b"device 'cuda:99'" in result.stderr and b"Traceback" not in result.stderr
    assert not out.exists()
