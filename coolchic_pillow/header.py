"""Read the header and chunks of a ``.cool`` stream without reading its payload.

Used by the plugins' ``open`` (which must not decode, nor even read the payload). The
byte layout is the one of :mod:`coolchic.container` (``docs/format.md``). A truncated
payload is not an error here: it is detected when the image is loaded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from coolchic.container import FIXED_HEADER_SIZE, PROFILES, SIGNATURE, VERSION_MAJOR, ContainerHeader
from coolchic.errors import CorruptDataError, NotCoolchicError, TruncatedDataError, UnsupportedError

_FIXED = struct.Struct(">BBHIIBBBIH")
_CHUNK_HEAD = struct.Struct(">4sI")
_COLORS = {0: "rgb", 1: "gray", 2: "yuv420"}
MAX_CHUNK_BYTES = 64 << 20
"""Refuse metadata chunks larger than this while opening (bounded memory)."""


@dataclass(frozen=True)
class HeaderView:
    """A ``.cool`` header, its metadata chunks and where the payload starts and ends."""

    header: ContainerHeader
    chunks: dict[str, bytes]
    payload_offset: int
    payload_length: int

    @property
    def total_length(self) -> int:
        """Length of the whole ``.cool`` data: payload and CRC-32 included."""
        return self.payload_offset + self.payload_length + 4


def _read(fp: BinaryIO, size: int, what: str) -> bytes:
    data = fp.read(size)
    if len(data) != size:
        raise TruncatedDataError(f".cool data truncated in {what}")
    return data


def read_header(fp: BinaryIO) -> HeaderView:
    """Parse the header at the current position of ``fp`` and leave ``fp`` after the chunks."""
    start = fp.tell()
    signature = fp.read(len(SIGNATURE))
    if signature != SIGNATURE:
        raise NotCoolchicError("not a .cool file (bad signature)")
    fixed = _read(fp, _FIXED.size, "the fixed header")
    major, minor, fixed_size, width, height, color, bitdepth, profile, payload_len, n_chunks = _FIXED.unpack(fixed)
    if major != VERSION_MAJOR:
        raise UnsupportedError(f"unsupported .cool container version {major}.{minor}")
    if fixed_size < FIXED_HEADER_SIZE:
        raise CorruptDataError(f"fixed header size {fixed_size} is smaller than {FIXED_HEADER_SIZE}")
    _read(fp, fixed_size - FIXED_HEADER_SIZE, "the fixed header")
    if profile not in PROFILES:
        raise UnsupportedError(f"unsupported payload profile {profile}")
    if color not in _COLORS or bitdepth not in (8, 10):
        raise UnsupportedError(f"unsupported colour format {color} / bit depth {bitdepth}")
    if width < 1 or height < 1:
        raise CorruptDataError(f"invalid image size {width}x{height}")
    chunks: dict[str, bytes] = {}
    for index in range(n_chunks):
        tag, length = _CHUNK_HEAD.unpack(_read(fp, _CHUNK_HEAD.size, f"chunk {index}"))
        if length > MAX_CHUNK_BYTES:
            raise CorruptDataError(f"chunk {tag!r} of {length} bytes is implausibly large")
        chunks[tag.decode("latin-1")] = _read(fp, length, f"chunk {tag!r}")
    header = ContainerHeader(width, height, _COLORS[color], bitdepth, profile, (major, minor))  # type: ignore[arg-type]
    return HeaderView(header, chunks, fp.tell() - start, payload_len)
