"""Image conversions: arrays / PIL / YUV420 → Planes, colour conversion, raw .yuv files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from coolchic.errors import CorruptDataError, TruncatedDataError
from coolchic.imageconv import (
    YUV420,
    parse_yuv_name,
    planes_to_array,
    read_yuv420,
    rgb_to_yuv420,
    to_planes,
    write_yuv420,
    yuv420_to_rgb,
    yuv_file_name,
)
from coolchic.planes import Planes
from coolchic.testcard import render_test_card

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
YUV_DIR = SHARED / "data" / "yuv"


def _rng_image(shape: tuple[int, ...], high: int = 256, dtype: type = np.uint8) -> np.ndarray:
    return np.random.default_rng(0).integers(0, high, size=shape).astype(dtype)


def test_rgb_and_gray_arrays_round_trip() -> None:
    rgb = _rng_image((5, 7, 3))
    planes = to_planes(rgb)
    assert (planes.color, planes.bitdepth, planes.height, planes.width) == ("rgb", 8, 5, 7)
    assert np.array_equal(planes_to_array(planes), rgb)
    gray = _rng_image((3, 1))
    planes = to_planes(gray)
    assert planes.color == "gray" and np.array_equal(planes_to_array(planes), gray)
    assert to_planes(gray[:, :, None]).color == "gray"


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((4, 4, 3), np.float32),
        np.zeros((4, 4, 3), np.uint16),
        np.zeros((4, 4, 4), np.uint8),
        np.zeros((4, 4, 2), np.uint8),
        np.zeros((4,), np.uint8),
        np.zeros((0, 4), np.uint8),
        np.zeros((65536, 1), np.uint8),
        np.zeros((2, 2, 2, 3), np.uint8),
    ],
)
def test_bad_arrays(array: np.ndarray) -> None:
    with pytest.raises(ValueError):
        to_planes(array)


def test_not_an_image() -> None:
    with pytest.raises(TypeError):
        to_planes([[1, 2], [3, 4]])


@pytest.mark.parametrize(
    "mode,color", [("RGB", "rgb"), ("L", "gray"), ("1", "gray"), ("P", "rgb"), ("CMYK", "rgb"), ("YCbCr", "rgb")]
)
def test_pil_modes(mode: str, color: str) -> None:
    base = Image.fromarray(render_test_card(16, 12))
    image = base.convert(mode)
    planes = to_planes(image)
    assert planes.color == color and (planes.height, planes.width) == (12, 16)
    expected = np.asarray(image.convert("L" if color == "gray" else "RGB"))
    assert np.array_equal(planes_to_array(planes), expected)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "I;16", "I", "F"])
def test_pil_modes_rejected(mode: str) -> None:
    image = Image.new(mode, (4, 4))
    with pytest.raises(ValueError, match=mode):
        to_planes(image)


def test_pil_palette_with_transparency_rejected() -> None:
    image = Image.new("P", (4, 4))
    image.info["transparency"] = 0
    with pytest.raises(ValueError, match="alpha"):
        to_planes(image)


@pytest.mark.parametrize("h,w", [(2, 2), (5, 7), (8, 6)])
@pytest.mark.parametrize("bitdepth", [8, 10])
def test_yuv420_validation(h: int, w: int, bitdepth: int) -> None:
    dtype = np.uint8 if bitdepth == 8 else np.uint16
    high = 1 << bitdepth
    y, u, v = _rng_image((h, w), high, dtype), _rng_image((h // 2, w // 2), high, dtype), _rng_image((h // 2, w // 2), high, dtype)
    planes = to_planes(YUV420(y, u, v, bitdepth))
    assert planes.color == "yuv420" and planes.bitdepth == bitdepth
    assert all(p.dtype == dtype for p in planes.planes)
    assert planes_to_array(planes).shape == (h, w, 3)


@pytest.mark.parametrize(
    "y,u,v,bitdepth",
    [
        (np.zeros((1, 4), np.uint8), np.zeros((0, 2), np.uint8), np.zeros((0, 2), np.uint8), 8),  # H < 2
        (np.zeros((5, 5), np.uint8), np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.uint8), 8),  # ceil chroma
        (np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8), 8),
        (np.full((4, 4), 1024, np.uint16), np.zeros((2, 2), np.uint16), np.zeros((2, 2), np.uint16), 10),
        (np.zeros((4, 4), np.float32), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), 8),
        (np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), 12),
    ],
)
def test_yuv420_rejected(y: np.ndarray, u: np.ndarray, v: np.ndarray, bitdepth: int) -> None:
    with pytest.raises(ValueError):
        to_planes(YUV420(y, u, v, bitdepth))


def test_planes_input_is_validated() -> None:
    good = Planes("gray", 8, (np.zeros((3, 3), np.uint8),))
    assert to_planes(good).color == "gray"
    with pytest.raises(ValueError):
        to_planes(Planes("gray", 8, (np.full((3, 3), 300, np.uint16),)))


@pytest.mark.parametrize("bitdepth", [8, 10])
def test_sample_yuv_matches_png(bitdepth: int) -> None:
    """The shared YUV samples were made from the PNG with BT.601 limited range."""
    yuv = read_yuv420(YUV_DIR / f"kodim15_192x128_01p_yuv420_{bitdepth}b.yuv")
    assert (yuv.width, yuv.height, yuv.bitdepth) == (192, 128, bitdepth)
    rgb = np.asarray(Image.open(YUV_DIR / "192x128_kodim15.png").convert("RGB")).astype(np.float64)
    back = yuv420_to_rgb(yuv).astype(np.float64) * 255 / ((1 << bitdepth) - 1)
    assert np.abs(back - rgb).mean() < 3.0  # chroma subsampling error only
    forward = rgb_to_yuv420(rgb.astype(np.uint8), bitdepth)
    assert int(np.abs(forward.y.astype(int) - yuv.y.astype(int)).max()) <= 1 << (bitdepth - 8)


def test_yuv_to_rgb_grey_levels() -> None:
    for bd, black, white, mid in ((8, 16, 235, 128), (10, 64, 940, 512)):
        c = np.full((1, 1), mid, np.uint16 if bd == 10 else np.uint8)
        for level, expect in ((black, 0), (white, (1 << bd) - 1)):
            y = np.full((2, 2), level, c.dtype)
            assert np.all(yuv420_to_rgb(YUV420(y, c, c, bd)) == expect)


@pytest.mark.parametrize(
    "name,expected",
    [
        ("kodim15_192x128_01p_yuv420_8b.yuv", ("kodim15", 192, 128, "01p", 8)),
        ("my_clip_name_416x240_60p_yuv420_10b.yuv", ("my_clip_name", 416, 240, "60p", 10)),
        ("/some/dir/a_3x2_1fps_yuv420_8b.yuv", ("a", 3, 2, "1fps", 8)),
    ],
)
def test_parse_yuv_name(name: str, expected: tuple[object, ...]) -> None:
    p = parse_yuv_name(name)
    assert (p.name, p.width, p.height, p.fps, p.bitdepth) == expected


@pytest.mark.parametrize(
    "name",
    [
        "kodim15_192x128_01p_yuv444_8b.yuv",
        "kodim15_192x128_yuv420_8b.yuv",
        "192x128_01p_yuv420_8b.yuv",
        "kodim15_192x128_01p_yuv420_12b.yuv",
        "kodim15_192x128_01p_yuv420p_8b.yuv",
        "kodim15_0x128_01p_yuv420_8b.yuv",
        "kodim15_1x128_01p_yuv420_8b.yuv",
        "kodim15_192x128_01p_yuv420_8b.raw",
    ],
)
def test_parse_yuv_name_rejects(name: str) -> None:
    with pytest.raises(ValueError):
        parse_yuv_name(name)


@pytest.mark.parametrize("bitdepth", [8, 10])
def test_yuv_file_round_trip_and_size_checks(tmp_path: Path, bitdepth: int) -> None:
    dtype = np.uint8 if bitdepth == 8 else np.uint16
    high = 1 << bitdepth
    image = YUV420(_rng_image((5, 7), high, dtype), _rng_image((2, 3), high, dtype), _rng_image((2, 3), high, dtype), bitdepth)
    path = tmp_path / yuv_file_name("clip_a", 7, 5, bitdepth)
    write_yuv420(path, image)
    assert path.stat().st_size == (35 + 12) * (1 if bitdepth == 8 else 2)
    back = read_yuv420(path)
    assert all(np.array_equal(a, b) for a, b in zip((back.y, back.u, back.v), (image.y, image.u, image.v)))
    # two frames: the first one is read
    path.write_bytes(path.read_bytes() * 2)
    assert np.array_equal(read_yuv420(path).y, image.y)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(CorruptDataError):
        read_yuv420(path)
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(TruncatedDataError):
        read_yuv420(path)
    with pytest.raises(ValueError):
        write_yuv420(tmp_path / yuv_file_name("x", 8, 5, bitdepth), image)


def test_ten_bit_file_with_out_of_range_samples(tmp_path: Path) -> None:
    path = tmp_path / "x_2x2_01p_yuv420_10b.yuv"
    path.write_bytes(np.array([0, 0, 0, 4096, 0, 0], "<u2").tobytes())
    with pytest.raises(CorruptDataError):
        read_yuv420(path)


def test_test_card_is_deterministic() -> None:
    a, b = render_test_card(), render_test_card()
    assert a.shape == (128, 192, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert len(np.unique(a.reshape(-1, 3), axis=0)) > 100
