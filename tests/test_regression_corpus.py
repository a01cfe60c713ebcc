"""Replay tests/corpus/ (hand-made hostile files and every input the fuzzer ever failed on).

Each file goes through every entry point: only documented errors, quickly. The file name
says what :func:`coolchic.decode` must do (``<what>--<ErrorName>.cool`` or ``--ok``).
"""

from __future__ import annotations

import io
import time
import warnings
from pathlib import Path

import imageio.v3 as iio
import pytest
from click.testing import CliRunner
from PIL import Image

import coolchic
from coolchic import errors
from coolchic.container import read_header
from coolchic_cli.main import cli

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".cool", ".bin"))
MAX_SECONDS = 5.0
PILLOW_ERRORS = (errors.CoolchicError, Image.UnidentifiedImageError, Image.DecompressionBombError)


def _expected(path: Path) -> str:
    return path.stem.rsplit("--", 1)[1]


def test_corpus_is_not_empty() -> None:
    assert len(FILES) >= 8


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_decode_outcome_is_the_named_one(path: Path) -> None:
    start = time.perf_counter()
    expected = _expected(path)
    if expected == "ok":
        coolchic.decode(path, threads=1)
    else:
        with pytest.raises(getattr(errors, expected)):
            coolchic.decode(path, threads=1)
    assert time.perf_counter() - start < MAX_SECONDS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_entry_point_raises_only_documented_errors(path: Path) -> None:
    data = path.read_bytes()
    start = time.perf_counter()
    try:
        coolchic.read_info(data)
    except errors.CoolchicError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as im:
                im.load()
        except PILLOW_ERRORS:
            pass
    try:
        iio.imread(data, plugin="cool", extension=".cool")
    except errors.CoolchicError:
        pass
    assert time.perf_counter() - start < 3 * MAX_SECONDS


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_cli_info_check_reports_one_line(path: Path) -> None:
    result = CliRunner().invoke(cli, ["info", "--check", str(path)])
    if _expected(path) == "ok":
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1
        assert "Traceback" not in result.output
        assert result.stderr.count("coolchic: error:") == 1


def test_newer_version_message() -> None:
    path = CORPUS / "newer-container-version--UnsupportedError.cool"
    message = "unsupported .cool container version 2.0"
    with pytest.raises(errors.UnsupportedError, match=message):
        coolchic.read_info(path)
    with pytest.raises(errors.UnsupportedError, match=message):
        Image.open(path)
    with pytest.raises(errors.UnsupportedError, match=message):
        iio.imread(path, plugin="cool")
    result = CliRunner().invoke(cli, ["info", str(path)])
    assert message in result.stderr


def test_huge_chunk_is_refused_before_reading_it() -> None:
    data = (CORPUS / "chunk-length-4GiB--TruncatedDataError.cool").read_bytes()
    with pytest.raises(errors.ImageTooLargeError, match="max_chunk_bytes"):
        read_header(io.BytesIO(data))
    with pytest.raises(errors.ImageTooLargeError, match="max_chunk_bytes"):
        Image.open(io.BytesIO(data))


def test_alpha_bomb_is_refused_by_the_plugins() -> None:
    data = (CORPUS / "alpha-inflates-8MiB--ok.cool").read_bytes()
    with pytest.raises(errors.CorruptDataError, match="alpha chunk"):
        Image.open(io.BytesIO(data)).load()
    with pytest.raises(errors.CorruptDataError, match="alpha chunk"):
        iio.imread(data, plugin="cool", extension=".cool")
