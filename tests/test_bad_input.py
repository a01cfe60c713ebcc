"""Hostile input: decode / read_info raise only CoolchicError subclasses, quickly.

Covers truncations, bit flips (with and without a repaired CRC, so that corrupted
payloads reach the 3.0 parser and entropy decoder), raw-stream corruption and random bytes.
"""

from __future__ import annotations

import functools
import struct
import time
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coolchic
from coolchic.container import SIGNATURE
from coolchic.errors import CoolchicError
from coolchic.testcard import render_test_card

MAX_SECONDS = 5.0
FAST = dict(n_itr=10, n_train_loops=1, seed=0, threads=1, layers_synthesis="4-1-linear-relu,X-1-linear-none", n_ft_per_res="1,1")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=None)
def _sample() -> bytes:
    """A valid, tiny .cool file (encoded once per session)."""
    return coolchic.encode(render_test_card(12, 10), exif=b"Exif\x00\x00", **FAST).data


def _payload(data: bytes) -> bytes:
    return data[-4 - coolchic.read_info(data).payload_size : -4]


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def _only_coolchic_errors(data: bytes) -> None:
    for call in (coolchic.read_info, lambda d: coolchic.decode(d, max_pixels=10_000)):
        start = time.perf_counter()
        try:
            call(data)
        except CoolchicError:
            pass
        assert time.perf_counter() - start < MAX_SECONDS


def test_sample_is_valid() -> None:
    data = _sample()
    assert coolchic.decode(data).array.shape == (10, 12, 3)


def test_every_truncation() -> None:
    data = _sample()
    for n in range(len(data)):
        try:
            coolchic.read_info(data[:n])
        except CoolchicError:
            continue
        raise AssertionError(f"truncation to {n} bytes was accepted")


@SETTINGS
@given(st.data())
def test_bit_flips(draw: st.DataObject) -> None:
    data = bytearray(_sample())
    for _ in range(draw.draw(st.integers(1, 4))):
        pos = draw.draw(st.integers(0, len(data) - 1))
        data[pos] ^= 1 << draw.draw(st.integers(0, 7))
    _only_coolchic_errors(bytes(data))


@SETTINGS
@given(st.data())
def test_payload_corruption_behind_a_valid_crc(draw: st.DataObject) -> None:
    """Flip payload bytes and repair the CRC: the 3.0 parser and decoder must cope."""
    data = _sample()
    body = bytearray(data[:-4])
    start = len(body) - len(_payload(data))
    for _ in range(draw.draw(st.integers(1, 3))):
        pos = draw.draw(st.integers(start, len(body) - 1))
        body[pos] = draw.draw(st.integers(0, 255))
    _only_coolchic_errors(_with_crc(bytes(body)))


@SETTINGS
@given(st.data())
def test_raw_stream_corruption(draw: st.DataObject) -> None:
    raw = bytearray(_payload(_sample()))
    for _ in range(draw.draw(st.integers(1, 3))):
        pos = draw.draw(st.integers(0, len(raw) - 1))
        raw[pos] = draw.draw(st.integers(0, 255))
    cut = draw.draw(st.integers(1, len(raw)))
    _only_coolchic_errors(bytes(raw[:cut]))


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes(data: bytes) -> None:
    _only_coolchic_errors(data)
    _only_coolchic_errors(SIGNATURE + data)
    _only_coolchic_errors(b"\x00\x09" + data)


@SETTINGS
@given(st.binary(min_size=19, max_size=19))
def test_random_fixed_header_with_valid_crc(fields: bytes) -> None:
    """Any fixed-header values (offsets 11..29) behind a correct signature, version and CRC."""
    payload = _payload(_sample())
    body = bytearray(SIGNATURE + b"\x01\x00" + fields + payload)
    _only_coolchic_errors(_with_crc(bytes(body)))
    body[11:13] = struct.pack(">H", 30)
    body[24:30] = struct.pack(">IH", len(payload), 0)
    _only_coolchic_errors(_with_crc(bytes(body)))


def test_decoded_arrays_stay_in_range_after_corruption() -> None:
    """Corruptions that still decode give well-formed images."""
    data = _sample()
    body = bytearray(data[:-4])
    rng = np.random.default_rng(1)
    start = len(body) - len(_payload(data))
    for _ in range(30):
        trial = bytearray(body)
        pos = int(rng.integers(start, len(trial)))
        trial[pos] = int(rng.integers(0, 256))
        try:
            decoded = coolchic.decode(_with_crc(bytes(trial)))
        except CoolchicError:
            continue
        assert decoded.array.shape == (10, 12, 3) and decoded.array.dtype == np.uint8
