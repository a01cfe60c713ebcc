"""A failed or interrupted encode (exception, Ctrl-C, disk full) never truncates nor
replaces an existing output file: through Pillow, imageio, the CLI and the API."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import coolchic
import coolchic.training.encoder
from coolchic_cli.main import cli

from integration_helpers import CLI_TINY, TINY, rgb_image

OLD = b"precious existing content"
FAST = {**TINY, "n_itr": 2}


class _Failure(Exception):
    pass


def _raise(exc: BaseException):
    def fit(*args, **kwargs):
        raise exc

    return fit


class _FullDisk:
    """A file object whose writes fail with ENOSPC, as on a full disk."""

    def __init__(self, fd: int, *args, **kwargs) -> None:
        os.close(fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


FAILURES = {
    "exception": lambda mp: mp.setattr(coolchic.training.encoder, "fit", _raise(_Failure("encode failed"))),
    "ctrl-c": lambda mp: mp.setattr(coolchic.training.encoder, "fit", _raise(KeyboardInterrupt())),
    "disk-full": lambda mp: mp.setattr(os, "fdopen", _FullDisk),
}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "out.cool"
    path.write_bytes(OLD)
    return path


def _intact(path: Path) -> None:
    """The old content is there and no temporary file is left behind."""
    assert path.read_bytes() == OLD
    assert {p.name for p in path.parent.iterdir()} - {"in.png"} == {path.name}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_pillow_save(failure: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FAILURES[failure](monkeypatch)
    with pytest.raises((_Failure, KeyboardInterrupt, OSError)):
        Image.fromarray(rgb_image()).save(target, **FAST)
    _intact(target)


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_imageio_write(failure: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FAILURES[failure](monkeypatch)
    with pytest.raises((_Failure, KeyboardInterrupt, OSError)):
        iio.imwrite(target, rgb_image(), **FAST)
    _intact(target)


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_cli_encode(failure: str, target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = target.parent / "in.png"
    Image.fromarray(rgb_image()).save(source)
    FAILURES[failure](monkeypatch)
    result = CliRunner().invoke(cli, ["encode", str(source), "-o", str(target), *CLI_TINY, "--n_itr", "2"])
    assert result.exit_code == (130 if failure == "ctrl-c" else 1), result.output
    assert "Traceback" not in result.output
    _intact(target)


def test_encode_result_save_on_a_full_disk(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = coolchic.encode(rgb_image(12, 8), **FAST)
    monkeypatch.setattr(os, "fdopen", _FullDisk)
    with pytest.raises(OSError):
        result.save(target)
    _intact(target)


def test_successful_saves_replace_the_file(target: Path) -> None:
    Image.fromarray(rgb_image()).save(target, **FAST)
    assert np.asarray(Image.open(target)).shape == (24, 32, 3)
    iio.imwrite(target, rgb_image(16, 8), **FAST)
    assert iio.imread(target).shape == (8, 16, 3)
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
