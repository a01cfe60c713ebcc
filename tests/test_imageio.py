"""The imageio plugin: registration, every call form (paths, file objects, bytes), props, meta, bad input."""

from __future__ import annotations

import io

import imageio
import imageio.v2
import imageio.v3 as iio
import numpy as np
import pytest
from imageio.config import known_extensions, known_plugins

import coolchic
from coolchic.container import read_container

from integration_helpers import TINY, alpha_plane, cool_rgb, cool_yuv10, rgb_image


def _expected(data: bytes) -> np.ndarray:
    return coolchic.decode(data).array


def test_registered_first_for_cool():
    assert "cool" in known_plugins
    assert known_extensions[".cool"][0].priority[0] == "cool"


def test_v3_write_forms_all_produce_valid_cool(tmp_path):
    image = rgb_image()
    data = iio.imwrite("<bytes>", image, extension=".cool", **TINY)
    assert np.array_equal(iio.imread(data, extension=".cool"), _expected(data))
    iio.imwrite(tmp_path / "a.cool", image, **TINY)
    iio.imwrite(tmp_path / "b.bin", image, extension=".cool", **TINY)
    with open(tmp_path / "c.out", "wb") as f:
        iio.imwrite(f, image, plugin="cool", **TINY)
    for name in ("a.cool", "b.bin", "c.out"):
        assert read_container((tmp_path / name).read_bytes())[0].width == 32


def test_v2_write_forms(tmp_path):
    image = rgb_image()
    imageio.imwrite(tmp_path / "y.cool", image, **TINY)
    buf = io.BytesIO()
    imageio.imwrite(buf, image, format="cool", **TINY)
    assert read_container(buf.getvalue())[0].height == 24
    assert imageio.v2.imread(tmp_path / "y.cool").shape == (24, 32, 3)


def test_read_forms_paths_files_bytes(tmp_path):
    data = cool_rgb()
    path = tmp_path / "x.cool"
    path.write_bytes(data)
    expected = _expected(data)
    assert np.array_equal(iio.imread(path), expected)
    assert np.array_equal(iio.imread(str(path), plugin="cool"), expected)
    with open(path, "rb") as f:
        assert np.array_equal(iio.imread(f, extension=".cool"), expected)
    assert np.array_equal(iio.imread(data, plugin="cool"), expected)


def test_improps_from_header_only():
    data = cool_rgb()
    _, _, payload = read_container(data)
    truncated = data[: len(data) - len(payload)]
    props = iio.improps(truncated, plugin="cool")
    assert props.shape == (24, 32, 3) and props.dtype == np.uint8
    with pytest.raises(OSError, match="truncated"):
        iio.imread(truncated, plugin="cool")


def test_immeta():
    meta = iio.immeta(cool_rgb(), plugin="cool")
    assert meta["width"] == 32 and meta["height"] == 24 and meta["color"] == "rgb" and meta["bitdepth"] == 8


def test_ten_bit_reads_as_uint16_and_yuv_layouts():
    data = cool_yuv10()
    rgb = iio.imread(data, plugin="cool")
    assert rgb.dtype == np.uint16 and rgb.shape == (24, 32, 3) and rgb.max() <= 1023
    planes = coolchic.decode(data).planes.planes
    yuv444 = iio.imread(data, plugin="cool", yuv="yuv444")
    assert np.array_equal(yuv444[:, :, 0], planes[0])
    assert np.array_equal(yuv444[0::2, 0::2, 1], planes[1])
    planar = iio.imread(data, plugin="cool", yuv="planar")
    assert planar.shape == iio.improps(data, plugin="cool", yuv="planar").shape
    assert np.array_equal(planar, np.concatenate([p.ravel() for p in planes]))
    with pytest.raises(ValueError, match="yuv"):
        iio.imread(data, plugin="cool", yuv="nv12")


def test_alpha_and_uint16_writes():
    rgba = np.dstack([rgb_image(), alpha_plane()])
    data = iio.imwrite("<bytes>", rgba, extension=".cool", **TINY)
    back = iio.imread(data, extension=".cool")
    assert back.shape == (24, 32, 4) and np.array_equal(back[:, :, 3], alpha_plane())
    gray10 = (np.arange(24 * 32, dtype=np.uint16).reshape(24, 32) % 1024)
    data = iio.imwrite("<bytes>", gray10, extension=".cool", **TINY)
    assert iio.improps(data, extension=".cool").dtype == np.uint16


def test_bad_input():
    with pytest.raises(ValueError, match="dtype"):
        iio.imwrite("<bytes>", np.zeros((8, 8, 3), np.float32), extension=".cool", **TINY)
    with pytest.raises(ValueError, match="bogus"):
        iio.imwrite("<bytes>", rgb_image(), extension=".cool", bogus=1)
    with pytest.raises(ValueError, match="10-bit"):
        iio.imwrite("<bytes>", np.full((8, 8), 4000, np.uint16), extension=".cool", **TINY)
    with pytest.raises(OSError):
        iio.imread(b"not an image at all", plugin="cool")
    with pytest.raises(coolchic.CorruptDataError):
        data = bytearray(cool_rgb())
        data[-1] ^= 0xFF
        iio.imread(bytes(data), plugin="cool")


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "z.cool"
    with pytest.raises(ValueError):
        iio.imwrite(path, rgb_image(), bogus=1)
    assert not path.exists()
