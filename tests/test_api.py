"""Public API: encode → .cool → decode round trips on tiny images, read_info, options, threads."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import coolchic
from coolchic.api import EncodeResult, postprocess, psnr_db, quality_to_lmbda
from coolchic.container import SIGNATURE
from coolchic.errors import CorruptDataError, ImageTooLargeError, NotCoolchicError
from coolchic.imageconv import YUV420, rgb_to_yuv420, to_planes
from coolchic.testcard import render_test_card

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KODAK_BIN = SHARED / "data/coolchic3/kodak-bitstreams/kodim01-lmbda-0001.bin"
REPO = Path(__file__).resolve().parents[1]

# A tiny, fast configuration: the goal is to exercise the format, not to compress well.
FAST = dict(n_itr=30, n_train_loops=1, seed=0, threads=1, layers_synthesis="8-1-linear-relu,X-1-linear-none", n_ft_per_res="1,1,1")


def _inputs() -> dict[str, Any]:
    card = render_test_card(33, 25)  # odd sizes
    yuv8 = rgb_to_yuv420(render_test_card(30, 22), 8)
    yuv10 = rgb_to_yuv420(render_test_card(31, 23), 10)
    return {
        "rgb": card,
        "gray": np.asarray(Image.fromarray(card).convert("L")),
        "yuv8": yuv8,
        "yuv10": yuv10,
    }


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return _inputs()


@pytest.fixture(scope="module")
def results(inputs: dict[str, Any]) -> dict[str, EncodeResult]:
    out = {name: coolchic.encode(image, **FAST) for name, image in inputs.items()}
    out["meta"] = coolchic.encode(
        Image.fromarray(inputs["rgb"][:16, :16]), icc_profile=b"ICC!", exif=b"Exif\x00\x00MM", xmp="<x/>", **FAST
    )
    return out


@pytest.mark.parametrize("name", ["rgb", "gray", "yuv8", "yuv10"])
def test_reconstruction_matches_decode(name: str, inputs: dict[str, Any], results: dict[str, EncodeResult]) -> None:
    image, result = inputs[name], results[name]
    decoded = coolchic.decode(result.data)
    rec = result.reconstruction
    if isinstance(image, YUV420):
        assert isinstance(rec, YUV420) and rec.bitdepth == image.bitdepth
        for got, want, orig in zip(decoded.planes.planes, (rec.y, rec.u, rec.v), (image.y, image.u, image.v)):
            assert got.dtype == orig.dtype and got.shape == orig.shape
            assert np.array_equal(got, want)
        assert np.array_equal(decoded.yuv.y, rec.y)  # type: ignore[union-attr]
        assert decoded.array.shape == (image.height, image.width, 3)
        assert decoded.array.dtype == (np.uint8 if image.bitdepth == 8 else np.uint16)
    else:
        assert isinstance(rec, np.ndarray) and rec.shape == image.shape and rec.dtype == image.dtype
        assert np.array_equal(decoded.array, rec)
    assert result.psnr_db == pytest.approx(psnr_db(to_planes(image), decoded.planes))
    assert 5 < result.psnr_db < 80
    h, w = decoded.planes.height, decoded.planes.width
    assert result.bpp == 8 * len(result.data) / (h * w)
    assert result.data.startswith(SIGNATURE)
    assert result.fit_seconds > 0 and result.encode_seconds >= result.fit_seconds and result.decode_seconds > 0


@pytest.mark.parametrize(
    "name,color,bitdepth", [("rgb", "rgb", 8), ("gray", "gray", 8), ("yuv8", "yuv420", 8), ("yuv10", "yuv420", 10)]
)
def test_read_info(name: str, color: str, bitdepth: int, inputs: dict[str, Any], results: dict[str, EncodeResult]) -> None:
    info = coolchic.read_info(results[name].data)
    image = inputs[name]
    h, w = (image.height, image.width) if isinstance(image, YUV420) else image.shape[:2]
    assert (info.width, info.height, info.color, info.bitdepth) == (w, h, color, bitdepth)
    assert info.container_version == (1, 0) and info.profile == "Cool-chic 3.0 frame"
    assert info.file_size == len(results[name].data)
    assert info.header_size + info.payload_size + sum(info.chunk_sizes.values()) == info.file_size
    assert info.payload_header_size + info.nn_bytes + info.latent_bytes == info.payload_size
    assert info.architecture.out_channels == (1 if color == "gray" else 3)
    assert info.metadata == () and info.bpp == results[name].bpp
    assert info == results[name].info


def test_metadata_round_trip(results: dict[str, EncodeResult]) -> None:
    result = results["meta"]
    decoded = coolchic.decode(result.data)
    assert (decoded.icc_profile, decoded.exif, decoded.xmp) == (b"ICC!", b"Exif\x00\x00MM", b"<x/>")
    assert coolchic.read_info(result.data).metadata == ("iccp", "exif", "xmp ")
    assert isinstance(result.reconstruction, np.ndarray) and result.reconstruction.shape == (16, 16, 3)


def test_sources_path_and_file(tmp_path: Path, results: dict[str, EncodeResult]) -> None:
    result = results["gray"]
    path = tmp_path / "x.cool"
    result.save(path)
    for source in (path, str(path), io.BytesIO(result.data), bytearray(result.data), memoryview(result.data)):
        assert np.array_equal(coolchic.decode(source).array, result.reconstruction)
    assert coolchic.read_info(path) == result.info


def test_threads_do_not_change_output_and_are_restored(results: dict[str, EncodeResult]) -> None:
    import torch

    before = torch.get_num_threads()
    one = coolchic.decode(results["rgb"].data, threads=1)
    assert torch.get_num_threads() == before
    two = coolchic.decode(results["rgb"].data, threads=2)
    assert torch.get_num_threads() == before
    assert np.array_equal(one.array, two.array)
    with pytest.raises(ValueError, match="threads"):
        coolchic.decode(results["rgb"].data, threads=0)


def test_bomb_limit_and_mismatched_headers(results: dict[str, EncodeResult]) -> None:
    data = results["rgb"].data
    with pytest.raises(ImageTooLargeError):
        coolchic.decode(data, max_pixels=33 * 25 - 1)
    # container says grey, payload synthesises 3 channels
    bad = bytearray(data[:-4])
    bad[21] = 1
    bad += struct.pack(">I", zlib.crc32(bytes(bad)))
    with pytest.raises(CorruptDataError):
        coolchic.read_info(bytes(bad))
    with pytest.raises(CorruptDataError):
        coolchic.decode(bytes(bad))


def test_raw_payload_is_accepted(results: dict[str, EncodeResult]) -> None:
    """The container's payload alone is a raw 3.0 stream and decodes to the same image."""
    result = results["yuv8"]
    info = result.info
    payload = result.data[-4 - info.payload_size : -4]
    raw_info = coolchic.read_info(payload)
    assert raw_info.container_version is None and raw_info.color == "yuv420" and raw_info.header_size == 0
    assert np.array_equal(coolchic.decode(payload).planes.planes[0], result.reconstruction.y)  # type: ignore[union-attr]


def test_read_info_official_bitstream() -> None:
    info = coolchic.read_info(KODAK_BIN)
    assert (info.width, info.height, info.color, info.bitdepth) == (768, 512, "rgb", 8)
    assert info.container_version is None and info.file_size == 41965
    assert info.payload_header_size == 89 and info.nn_bytes == 996 + 44 + 60 + 720 + 72
    assert info.latent_bytes_per_resolution == (35696, 2604, 692, 476, 348, 120, 48)
    assert sum(info.latent_bytes_per_resolution) == info.latent_bytes


def test_decode_official_bitstream() -> None:
    decoded = coolchic.decode(KODAK_BIN, threads=1)
    kodak = np.asarray(Image.open(SHARED / "data/kodak/kodim01.png").convert("RGB"))
    assert psnr_db(to_planes(kodak), decoded.planes) == pytest.approx(32.74138870550397, abs=1e-4)


def test_not_cool() -> None:
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    with pytest.raises(NotCoolchicError, match="PNG"):
        coolchic.decode(png.getvalue())
    with pytest.raises(NotCoolchicError, match="PNG"):
        coolchic.read_info(png.getvalue())


def test_quality_mapping() -> None:
    assert quality_to_lmbda(60) == pytest.approx(1e-3)
    values = [quality_to_lmbda(q) for q in range(0, 101, 5)]
    assert all(a > b for a, b in zip(values, values[1:]))
    for bad in (-1, 101, "50", True, math.nan):
        with pytest.raises(ValueError, match="quality"):
            quality_to_lmbda(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(quality=50, lmbda=1e-3), "quality"),
        (dict(quality=150), "quality"),
        (dict(not_an_option=1), "not_an_option"),
        (dict(n_itr=-3), "n_itr"),
        (dict(icc_profile="text"), "icc_profile"),
        (dict(preset="no-such-preset"), "preset"),
    ],
)
def test_bad_options_fail_before_training(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        coolchic.encode(np.zeros((4, 4), np.uint8), **kwargs)


def test_unusable_device_is_a_clear_error_before_any_work(
    results: dict[str, EncodeResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    image = np.zeros((4, 4), np.uint8)
    data = results["rgb"].data
    for bad in ("gpu", "cuda:x", "cuda:-1", "cpu:0"):
        with pytest.raises(ValueError, match="device: expected"):
            coolchic.encode(image, device=bad)
        with pytest.raises(ValueError, match="device: expected"):
            coolchic.decode(data, device=bad)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for call in (lambda: coolchic.encode(image, device="cuda"), lambda: coolchic.decode(data, device="cuda:0")):
        with pytest.raises(ValueError, match="no CUDA GPU is usable"):
            call()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"has 1 CUDA device\(s\), cuda:0 to cuda:0"):
        coolchic.encode(image, device="cuda:1")


def test_bad_images() -> None:
    with pytest.raises(ValueError):
        coolchic.encode(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(TypeError):
        coolchic.encode("image.png")


def test_postprocess_rounding_and_decimation() -> None:
    raw = np.zeros((3, 5, 5), np.float32)
    raw[0] = np.array([-0.1, 0.5 / 255, 1.5 / 255, 1.0, 1.2], np.float32)
    raw[1, ::2, ::2] = 0.5
    raw[1, 1::2] = 0.9
    planes = postprocess(raw, "yuv420", 8)
    assert planes.planes[0][0].tolist() == [0, 0, 2, 255, 255]  # half to even, clamped
    assert planes.planes[1].shape == (2, 2) and np.all(planes.planes[1] == 128)
    ten = postprocess(np.full((1, 2, 2), 0.5, np.float32), "gray", 10)
    assert ten.planes[0].dtype == np.uint16 and np.all(ten.planes[0] == 512)
    with pytest.raises(CorruptDataError):
        postprocess(raw, "gray", 8)


def _run_isolated(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_registers_plugins_and_read_info_does_not_import_torch(results: dict[str, EncodeResult], tmp_path: Path) -> None:
    path = tmp_path / "x.cool"
    results["rgb"].save(path)
    code = (
        "import sys, coolchic\n"
        "assert 'torch' not in sys.modules, 'import coolchic imported torch'\n"
        "from PIL import Image\n"
        "import imageio.config\n"
        "assert 'COOL' in Image.OPEN and 'cool' in imageio.config.known_plugins, 'plugins not registered'\n"
        f"info = coolchic.read_info({str(path)!r})\n"
        f"coolchic.read_info({str(KODAK_BIN)!r})\n"
        "print(info.width, info.height, 'torch' in sys.modules)\n"
    )
    assert _run_isolated(code) == "33 25 False"


def test_stop_event_ends_training_and_still_gives_a_valid_file() -> None:
    import threading

    stop = threading.Event()
    stop.set()
    image = np.random.default_rng(3).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    events: list[Any] = []
    result = coolchic.encode(image, n_itr=5000, threads=1, seed=0, stop=stop, progress=events.append)
    assert np.array_equal(coolchic.decode(result.data).array, result.reconstruction)
    assert max((e.done for e in events), default=0) < 100  # far from the 5000 planned
