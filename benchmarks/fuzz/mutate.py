"""Deterministic mutations of seed files: bit flips, byte edits, insertions, deletions,
truncations, extreme field values and section lengths past the end.

:func:`make_input` builds input ``index`` of a campaign from ``(campaign seed, index)``
alone, so any input can be regenerated from its number.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from coolchic.c3.payload import parse_payload_header
from coolchic.container import looks_like_cool, read_container

EXTREMES = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)
CONTAINER_FIELDS = ((9, 1), (10, 1), (11, 2), (13, 4), (17, 4), (21, 1), (22, 1), (23, 1), (24, 4), (28, 2))
"""(offset, size) of every fixed-header field of a ``.cool`` file."""


def _flip(rng: np.random.Generator, data: bytearray, lo: int, hi: int) -> None:
    for _ in range(int(rng.integers(1, 5))):
        pos = int(rng.integers(lo, hi))
        data[pos] ^= 1 << int(rng.integers(0, 8))


def _set_bytes(rng: np.random.Generator, data: bytearray, lo: int, hi: int) -> None:
    pos = int(rng.integers(lo, hi))
    size = int(rng.integers(1, 4))
    for i in range(pos, min(pos + size, len(data))):
        data[i] = int(rng.choice(EXTREMES)) if rng.random() < 0.7 else int(rng.integers(0, 256))


def _field(rng: np.random.Generator, data: bytearray, fields: list[tuple[int, int]]) -> None:
    """Set one known field to an extreme value (0, 1, max, max - 1, a power of two, random)."""
    offset, size = fields[int(rng.integers(0, len(fields)))]
    if offset + size > len(data):
        return
    top = (1 << (8 * size)) - 1
    choices = (0, 1, top, top - 1, 1 << int(rng.integers(0, 8 * size)), int(rng.integers(0, top + 1)))
    value = choices[int(rng.integers(0, len(choices)))]
    data[offset : offset + size] = value.to_bytes(size, "big")


def _insert(rng: np.random.Generator, data: bytearray, lo: int, hi: int) -> None:
    pos = int(rng.integers(lo, hi + 1))
    data[pos:pos] = bytes(rng.integers(0, 256, int(rng.integers(1, 17))).astype(np.uint8))


def _delete(rng: np.random.Generator, data: bytearray, lo: int, hi: int) -> None:
    pos = int(rng.integers(lo, hi))
    del data[pos : pos + int(rng.integers(1, 17))]


def _duplicate(rng: np.random.Generator, data: bytearray, lo: int, hi: int) -> None:
    pos = int(rng.integers(lo, hi))
    piece = data[pos : pos + int(rng.integers(1, 33))]
    at = int(rng.integers(lo, hi + 1))
    data[at:at] = piece


def _payload_fields(payload: bytes) -> list[tuple[int, int]]:
    """(offset, size) of the GOP and frame header fields of a 3.0 payload (stream lengths included)."""
    header = parse_payload_header(payload)
    fields = [(0, 2), (2, 2), (4, 2), (6, 1), (7, 1), (8, 1), (9, 2)]
    fields += [(pos, 1) for pos in range(11, 17)]
    end = header.header_bytes
    tail = 3 * len(header.latent_stream_bytes)
    fields += [(pos, 3) for pos in range(end - tail, end, 3)]  # latent stream lengths
    fields += [(pos, 2) for pos in range(17, end - tail, 1)]  # everything else, 2-byte windows
    return fields


def _mutate(rng: np.random.Generator, data: bytes, lo: int, fields: list[tuple[int, int]]) -> bytes:
    """1 to 4 stacked mutations of ``data[lo:]`` (``fields`` are absolute offsets)."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        hi = len(out)
        if hi <= lo:
            break
        kind = int(rng.integers(0, 8))
        if kind == 0:
            _flip(rng, out, lo, hi)
        elif kind == 1:
            _set_bytes(rng, out, lo, hi)
        elif kind in (2, 3) and fields:
            _field(rng, out, fields)
        elif kind == 4:
            _insert(rng, out, lo, hi)
        elif kind == 5:
            _delete(rng, out, lo, hi)
        elif kind == 6:
            _duplicate(rng, out, lo, hi)
        else:
            del out[int(rng.integers(lo, hi)) :]
    return bytes(out)


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack(">I", zlib.crc32(body))


def make_input(seeds: list[bytes], campaign: int, index: int) -> tuple[str, bytes]:
    """Input ``index``: ``(mode, data)``. Modes:

    * ``raw``: mutate any byte of a seed (container checks, CRC);
    * ``crc``: mutate a ``.cool`` file's header/chunks/payload and repair the CRC (field checks);
    * ``payload``: mutate the 3.0 payload, re-wrapped with correct lengths and CRC (deep decoder);
    * ``bin``: mutate a raw 3.0 stream (no CRC at all).
    """
    rng = np.random.default_rng([campaign, index])
    seed = seeds[int(rng.integers(0, len(seeds)))]
    is_cool = looks_like_cool(seed)
    mode = ("raw", "crc", "payload", "payload")[int(rng.integers(0, 4))] if is_cool else "bin"
    if mode == "raw":
        return mode, _mutate(rng, seed, 0, list(CONTAINER_FIELDS))
    if mode == "crc":
        return mode, _with_crc(_mutate(rng, seed[:-4], 9, list(CONTAINER_FIELDS)))
    if mode == "bin":
        return mode, _mutate(rng, seed, 0, _payload_fields(seed))
    payload = read_container(seed, max_pixels=None)[2]
    body_start = len(seed) - 4 - len(payload)
    mutated = _mutate(rng, payload, 0, _payload_fields(payload))
    body = bytearray(seed[:body_start] + mutated)
    body[24:28] = struct.pack(">I", len(mutated))
    return mode, _with_crc(bytes(body))

