"""Whole 3.0 payloads: official conformance streams, synthetic round trips, header checks."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from c3_frames import JVET, KODAK, official_streams, random_arm, random_frame, small_arch

from coolchic.c3.arm_fixed import FixedPointArm
from coolchic.c3.frame import Frame
from coolchic.c3.header import encode_header
from coolchic.c3.payload import parse_payload_header, read_payload, write_payload
from coolchic.errors import (
    CoolchicError,
    CorruptDataError,
    ImageTooLargeError,
    TruncatedDataError,
    UnsupportedError,
)

SAMPLE = [
    KODAK / "kodim01-lmbda-0001.bin",  # N=3, default synthesis (spec example)
    KODAK / "kodim01-lmbda-002.bin",  # N=2, ~430k zero-scale symbols
    KODAK / "kodim04-lmbda-0004.bin",  # portrait, all-zero finest grid
    KODAK / "kodim03-lmbda-002.bin",  # N=2, all-zero resolution-1 grid
    JVET / "D-BQSquare-lmbda-00001_416x240_60p_yuv420_8b.bin",
    JVET / "D-RaceHorses-lmbda-002_416x240_30p_yuv420_8b.bin",
]


def _zero_scale_count(frame: Frame) -> int:
    arm = FixedPointArm(frame.architecture, frame.arm)
    return sum(
        int(np.count_nonzero(arm.predict_grid(g, frame.architecture.n_ctx_rowcol)[1] == 0))
        for lat in frame.latents
        for g in lat
        if g.any()
    )


def _check_official(path: Path) -> Frame:
    data = path.read_bytes()
    header = parse_payload_header(data)
    # read_payload checks that every NN and latent stream is fully read (no unread word)
    frame = read_payload(data)
    assert (frame.height, frame.width) == (header.height, header.width)
    assert all(lat.dtype == np.int32 for lat in frame.latents)
    # strongest check of both directions: re-encoding gives back the very same bytes
    assert write_payload(frame, allow_zero_scale=True) == data
    return frame


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_official_sample_round_trips_byte_exact(path: Path) -> None:
    _check_official(path)


@pytest.mark.slow
@pytest.mark.parametrize("path", official_streams(), ids=lambda p: p.stem)
def test_all_official_streams_round_trip_byte_exact(path: Path) -> None:
    _check_official(path)


def test_spec_example_header_and_zero_scales() -> None:
    data = (KODAK / "kodim01-lmbda-0001.bin").read_bytes()
    h = parse_payload_header(data)
    assert (h.height, h.width, h.frame_type, h.bitdepth) == (512, 768, "rgb", 8)
    assert (h.architecture.n_ctx_rowcol, h.architecture.layers_arm) == (3, (24, 24))
    assert (h.ac_max_nn, h.ac_max_latent) == (4049, 21)
    assert h.q_indices == (1, 2, 7, None, 6, 5)
    assert h.nn_scale_indices == (17170, 16905, 18217, None, 32989, 37440)
    assert h.nn_stream_bytes == (996, 44, 60, 0, 720, 72)
    assert h.latent_stream_bytes == (35696, 2604, 692, 476, 348, 120, 48)
    assert h.header_bytes == 89 and h.total_bytes == len(data) == 41965
    frame = read_payload((KODAK / "kodim01-lmbda-002.bin").read_bytes())
    assert _zero_scale_count(frame) > 400_000
    with pytest.raises(ValueError, match="scale 0"):
        write_payload(frame)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"frame_type": "yuv420", "bitdepth": 10},
        {"arch": small_arch(out_channels=1)},
        {"arch": small_arch(n_ctx_rowcol=3, layers_arm=(24, 24)), "height": 13, "width": 5},
        {"arch": small_arch(n_ctx_rowcol=1, layers_arm=(), n_ft_per_res=(2, 0, 1, 3))},
        {"zero_grids": (0, 2)},
        {"height": 1, "width": 1},
    ],
)
def test_synthetic_round_trip(kwargs: dict) -> None:
    frame = random_frame(np.random.default_rng(len(str(kwargs))), **kwargs)
    data = write_payload(frame)
    header = parse_payload_header(data)
    assert header.total_bytes == len(data)
    back = read_payload(data)
    assert back.architecture == frame.architecture
    for a, b in zip(back.latents, frame.latents):
        assert np.array_equal(a, b)
    for mod in ("arm", "upsampling", "synthesis"):
        x, y = getattr(back, mod), getattr(frame, mod)
        assert np.array_equal(x.weight_symbols, y.weight_symbols)
        assert x.weight_q_index == y.weight_q_index and x.bias_q_index == y.bias_q_index
        assert (x.bias_symbols is None) == (y.bias_symbols is None)
        if x.bias_symbols is not None:
            assert np.array_equal(x.bias_symbols, y.bias_symbols)
    assert write_payload(back) == data


def test_all_zero_latents_cost_zero_bytes() -> None:
    frame = random_frame(np.random.default_rng(1))
    for lat in frame.latents:
        lat[:] = 0
    header = parse_payload_header(write_payload(frame))
    assert header.latent_bytes == 0 and header.ac_max_latent == 2


def test_latent_bytes_per_resolution_follow_the_channels() -> None:
    frame = random_frame(np.random.default_rng(3), arch=small_arch(n_ctx_rowcol=1, layers_arm=(), n_ft_per_res=(2, 0, 1, 3)))
    frame.latents[2][:] = 0
    header = parse_payload_header(write_payload(frame))
    per_resolution = header.latent_bytes_per_resolution
    assert len(per_resolution) == 4 and sum(per_resolution) == header.latent_bytes
    assert per_resolution[1] == 0 and per_resolution[2] == 0  # no channels; all-zero grid
    assert per_resolution[0] > 0 and per_resolution[3] > 0


def _frame() -> Frame:
    return random_frame(np.random.default_rng(2))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.latents[0].__setitem__((0, 0, 0), 65534),
        lambda f: setattr(f, "latents", f.latents[:-1]),
        lambda f: setattr(f, "latents", [lat.astype(np.float32) for lat in f.latents]),
        lambda f: setattr(f.upsampling, "bias_symbols", np.zeros(1, np.int32)),
        lambda f: setattr(f.arm, "weight_q_index", 8),
        lambda f: setattr(f.synthesis, "bias_symbols", f.synthesis.bias_symbols[:-1]),
        lambda f: f.synthesis.weight_symbols.__setitem__(0, -65534),
        lambda f: setattr(f, "width", 70000),
        lambda f: setattr(f, "architecture", replace(f.architecture, layers_arm=(12, 8))),
    ],
)
def test_write_refuses_frames_outside_the_format(mutate) -> None:
    frame = _frame()
    mutate(frame)
    with pytest.raises(ValueError):
        write_payload(frame)


def test_write_refuses_zero_scale_latents_by_default() -> None:
    frame = _frame()
    frame.arm = random_arm(np.random.default_rng(3), frame.architecture, l_bias=2000)
    with pytest.raises(ValueError, match="scale 0"):
        write_payload(frame)
    assert np.array_equal(read_payload(write_payload(frame, allow_zero_scale=True)).latents[0], frame.latents[0])


def _patch(data: bytes, offset: int, value: bytes) -> bytes:
    return data[:offset] + value + data[offset + len(value) :]


@pytest.fixture(scope="module")
def payload() -> bytes:
    return write_payload(_frame())


def test_header_errors(payload: bytes) -> None:
    with pytest.raises(TruncatedDataError):
        parse_payload_header(payload[:-1])
    with pytest.raises(TruncatedDataError):
        parse_payload_header(payload[:20])
    with pytest.raises(CorruptDataError, match="after the end"):
        parse_payload_header(payload + b"\0")
    with pytest.raises(CorruptDataError):
        parse_payload_header(_patch(payload, 0, b"\x00\x0a"))
    with pytest.raises(UnsupportedError):
        parse_payload_header(_patch(payload, 6, b"\x08"))  # yuv444
    with pytest.raises(UnsupportedError):
        parse_payload_header(_patch(payload, 7, b"\x08"))  # video intra period
    with pytest.raises(CorruptDataError):
        parse_payload_header(_patch(payload, 6, b"\x40"))  # bit-depth code 2
    with pytest.raises(CorruptDataError):
        parse_payload_header(_patch(payload, 2, b"\0\0"))  # height 0


def test_max_pixels(payload: bytes) -> None:
    assert read_payload(payload, max_pixels=48 * 64).height == 48
    with pytest.raises(ImageTooLargeError):
        read_payload(payload, max_pixels=48 * 64 - 1)


def test_nn_stream_length_must_fit_symbols(payload: bytes) -> None:
    header = parse_payload_header(payload)
    # claim 4 bytes for the synthesis weights: cannot hold its hundreds of parameters
    nn = list(header.nn_stream_bytes)
    moved = nn[4] - 4
    nn[4], nn[5] = 4, nn[5] + moved
    fake = replace(header, nn_stream_bytes=tuple(nn))
    data = encode_header(fake) + payload[header.header_bytes :]
    with pytest.raises(CoolchicError):
        read_payload(data)


def test_header_encode_parse_round_trip(payload: bytes) -> None:
    header = parse_payload_header(payload)
    assert encode_header(header) == payload[: header.header_bytes]


def test_entropy_path_does_not_import_torch() -> None:
    code = (
        "import sys; from pathlib import Path; from coolchic.c3.payload import read_payload, write_payload;"
        f"f = read_payload(Path({str(SAMPLE[-1])!r}).read_bytes()); write_payload(f, allow_zero_scale=True);"
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
