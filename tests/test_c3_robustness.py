"""Bad input to the 3.0 payload reader: only CoolchicError subclasses, in bounded time."""

from __future__ import annotations

import functools

import numpy as np
from c3_frames import JVET, random_frame, small_arch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coolchic.c3.frame import Frame
from coolchic.c3.payload import parse_payload_header, read_payload, write_payload
from coolchic.errors import CoolchicError

MAX_PIXELS = 1 << 20
FUZZ = settings(
    max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@functools.cache
def _payloads() -> tuple[bytes, ...]:
    synthetic = write_payload(
        random_frame(np.random.default_rng(0), small_arch(n_ctx_rowcol=3, layers_arm=(24, 24)), 40, 56)
    )
    official = (JVET / "D-BasketballPass-lmbda-002_416x240_50p_yuv420_8b.bin").read_bytes()
    return synthetic, official


def _read(data: bytes) -> None:
    """Decode; anything but a Frame or a CoolchicError fails the test."""
    try:
        frame = read_payload(data, max_pixels=MAX_PIXELS)
    except CoolchicError:
        pass
    else:
        assert isinstance(frame, Frame)
    try:
        parse_payload_header(data)
    except CoolchicError:
        pass


@FUZZ
@given(which=st.integers(0, 1), cut=st.integers(0, 10**6))
def test_truncated(which: int, cut: int) -> None:
    data = _payloads()[which]
    _read(data[: cut % len(data)])


@FUZZ
@given(which=st.integers(0, 1), flips=st.lists(st.integers(0, 10**7), min_size=1, max_size=4))
def test_bit_flips(which: int, flips: list[int]) -> None:
    data = bytearray(_payloads()[which])
    for bit in flips:
        bit %= 8 * len(data)
        data[bit // 8] ^= 1 << (bit % 8)
    _read(bytes(data))


@FUZZ
@given(which=st.integers(0, 1), keep=st.integers(0, 120), tail=st.binary(max_size=300))
def test_random_bytes_after_a_real_prefix(which: int, keep: int, tail: bytes) -> None:
    _read(_payloads()[which][:keep] + tail)


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _read(data)


@FUZZ
@given(which=st.integers(0, 1), offset=st.integers(0, 200), value=st.binary(min_size=1, max_size=3))
def test_header_field_overwrites(which: int, offset: int, value: bytes) -> None:
    """Overwrite bytes inside the headers (most fields live in the first ~90 bytes)."""
    data = bytearray(_payloads()[which])
    offset %= len(data)
    data[offset : offset + len(value)] = value
    _read(bytes(data))
