"""The Pillow plugin: registration, header-only open, load, save options, modes, metadata, bad input."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageFile, UnidentifiedImageError

import coolchic
import coolchic_pillow
from coolchic.container import ContainerHeader, read_container, write_container

from integration_helpers import TINY, alpha_plane, cool_rgb, cool_yuv10, rgb_image


def _save(im: Image.Image, **params) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="COOL", **{**TINY, **params})
    return buf.getvalue()


def test_registered_with_extension_and_mime():
    assert Image.registered_extensions()[".cool"] == "COOL"
    assert Image.MIME["COOL"] == coolchic_pillow.MIME_TYPE == "image/x-cool"


def test_open_reads_header_only_without_torch(tmp_path):
    path = tmp_path / "x.cool"
    path.write_bytes(cool_rgb())
    code = (
        "import sys, coolchic_pillow; from PIL import Image\n"
        f"im = Image.open({str(path)!r})\n"
        "assert (im.format, im.mode, im.size) == ('COOL', 'RGB', (32, 24)), (im.mode, im.size)\n"
        "assert 'torch' not in sys.modules\n"
        "im.load(); assert 'torch' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_open_does_not_read_the_payload():
    data = cool_rgb()
    header, chunks, payload = read_container(data)
    truncated = data[: len(data) - len(payload) // 2]
    im = Image.open(io.BytesIO(truncated))
    assert im.size == (32, 24)
    with pytest.raises(OSError, match="truncated"):
        im.load()


def test_load_truncated_images_flag(monkeypatch):
    data = cool_rgb()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    im = Image.open(io.BytesIO(data[:-10]))
    im.load()
    assert im.size == (32, 24) and im.mode == "RGB"


def test_round_trip_rgb_matches_encoder_reconstruction(tmp_path):
    source = Image.fromarray(rgb_image())
    path = tmp_path / "y.cool"
    source.save(path, **TINY)
    expected = coolchic.decode(path.read_bytes()).array
    with Image.open(path) as im:
        assert im.format == "COOL" and im.info["bitdepth"] == 8
        assert np.array_equal(np.asarray(im), expected)


def test_file_handle_closed_after_load(tmp_path):
    path = tmp_path / "x.cool"
    path.write_bytes(cool_rgb())
    im = Image.open(path)
    fp = im.fp
    im.load()
    assert fp.closed and im.fp is None


def test_accept_is_exact_and_foreign_data_is_unidentified():
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(b"\x89COOL\r\n\x1a\x00" + bytes(40)))
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(cool_rgb()[:20]))


def test_decompression_bomb_check(monkeypatch):
    big = write_container(b"\0" * 8, ContainerHeader(60000, 60000, "rgb", 8))
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(big))


def test_rgba_alpha_is_lossless_and_opaque_alpha_dropped():
    rgba = np.dstack([rgb_image(), alpha_plane()])
    data = _save(Image.fromarray(rgba, "RGBA"))
    im = Image.open(io.BytesIO(data))
    assert im.mode == "RGBA"
    assert np.array_equal(np.asarray(im)[:, :, 3], alpha_plane())
    opaque = np.dstack([rgb_image(), np.full((24, 32), 255, np.uint8)])
    data = _save(Image.fromarray(opaque, "RGBA"))
    assert Image.open(io.BytesIO(data)).mode == "RGB"
    assert "alph" not in read_container(data)[1]


def test_gray_la_p_and_1_modes():
    gray = Image.fromarray(rgb_image()).convert("L")
    assert Image.open(io.BytesIO(_save(gray))).mode == "L"
    la = Image.merge("LA", [gray, Image.fromarray(alpha_plane())])
    im = Image.open(io.BytesIO(_save(la)))
    assert im.mode == "LA" and np.array_equal(np.asarray(im)[:, :, 1], alpha_plane())
    assert Image.open(io.BytesIO(_save(gray.convert("1")))).mode == "L"
    assert Image.open(io.BytesIO(_save(Image.fromarray(rgb_image()).convert("P")))).mode == "RGB"


def test_i16_saved_as_10_bit_gray_and_read_as_i16():
    samples = (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) % 1024)
    data = _save(Image.fromarray(samples))
    im = Image.open(io.BytesIO(data))
    assert im.mode == "I;16" and im.info["bitdepth"] == 10
    assert np.asarray(im).max() <= 1023


def test_unsupported_mode_and_bad_options_raise_value_error():
    with pytest.raises(ValueError, match="CMYK"):
        _save(Image.new("CMYK", (8, 8)))
    with pytest.raises(ValueError, match="mutually exclusive"):
        _save(Image.fromarray(rgb_image()), quality=50, lmbda=1e-3)
    with pytest.raises(ValueError, match="bogus"):
        _save(Image.fromarray(rgb_image()), bogus=1)
    with pytest.raises(ValueError, match="quality"):
        _save(Image.fromarray(rgb_image()), quality=101)


def test_failed_save_leaves_no_file(tmp_path):
    path = tmp_path / "bad.cool"
    with pytest.raises(ValueError):
        Image.fromarray(rgb_image()).save(path, bogus=1)
    assert not path.exists()


def test_metadata_icc_from_info_exif_xmp_when_passed():
    im = Image.fromarray(rgb_image())
    im.info["icc_profile"] = b"fake icc"
    exif = Image.Exif()
    exif[0x010E] = "a description"
    data = _save(im, exif=exif, xmp="<x:xmpmeta/>", quality=70)
    out = Image.open(io.BytesIO(data))
    assert out.info["icc_profile"] == b"fake icc"
    assert out.info["xmp"] == b"<x:xmpmeta/>"
    assert out.getexif()[0x010E] == "a description"
    assert "icc_profile" not in Image.open(io.BytesIO(_save(im, icc_profile=None))).info


def test_ten_bit_yuv_opens_as_8_bit_rgb():
    im = Image.open(io.BytesIO(cool_yuv10()))
    assert im.mode == "RGB" and im.info["bitdepth"] == 10 and im.info["color"] == "yuv420"
    im.load()
    assert np.asarray(im).dtype == np.uint8


def test_register_options():
    try:
        coolchic.register(threads=1, n_itr=20)
        with pytest.raises(ValueError, match="bogus"):
            coolchic_pillow.register(bogus=True)
    finally:
        coolchic_pillow.register()
