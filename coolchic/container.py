"""The ``.cool`` container: signature, fixed header, typed chunks, payload, CRC-32.

Byte layout (all integers big-endian unsigned; full description in ``docs/format.md``)::

    0   9  signature 89 43 4F 4F 4C 0D 0A 1A 0A  ("\\x89COOL\\r\\n\\x1a\\n")
    9   1  major version (1)
    10  1  minor version (0)
    11  2  fixed header size F (30 in 1.0; offset of the first chunk)
    13  4  width
    17  4  height
    21  1  colour format (0 rgb, 1 gray, 2 yuv420)
    22  1  bit depth (8 or 10)
    23  1  payload profile (1 = Cool-chic 3.0 frame)
    24  4  payload length P
    28  2  number of chunks N
    F   .  N chunks: tag (4 ASCII bytes), length L (4), L bytes of data
    .   P  payload
    .   4  CRC-32 (zlib / ISO-HDLC) of every byte before it

This module imports neither torch nor numpy.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Literal, NamedTuple

from .errors import (
    CorruptDataError,
    ImageTooLargeError,
    NotCoolchicError,
    TruncatedDataError,
    UnsupportedError,
)

SIGNATURE = b"\x89COOL\r\n\x1a\n"
"""File signature: high-bit byte, ``COOL``, CR LF, SUB, LF (PNG-style)."""
VERSION_MAJOR = 1
VERSION_MINOR = 0
DEFAULT_MAX_PIXELS = 89_478_485
"""Default decompression-bomb limit on width x height (Pillow's ``MAX_IMAGE_PIXELS``)."""
PROFILE_C3_FRAME = 1
PROFILES = {PROFILE_C3_FRAME: "Cool-chic 3.0 frame"}
MAX_DIMENSION = 65535
"""Largest width / height the Cool-chic 3.0 payload can represent."""

TAG_ICC = "iccp"
TAG_EXIF = "exif"
TAG_XMP = "xmp "
TAG_ALPHA = "alph"
KNOWN_CRITICAL_TAGS: frozenset[str] = frozenset()
"""Critical chunk tags (first character upper-case) this reader understands: none in 1.0."""

ColorName = Literal["rgb", "gray", "yuv420"]
_COLOR_CODES: dict[str, int] = {"rgb": 0, "gray": 1, "yuv420": 2}
_COLOR_NAMES: dict[int, str] = {v: k for k, v in _COLOR_CODES.items()}
_BITDEPTHS = (8, 10)
_TAG_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ")

_FIXED = struct.Struct(">BBHIIBBBIH")  # from offset 9 (after the signature)
_FIXED_REST = struct.Struct(">HIIBBBIH")  # from offset 11 (after the version)
FIXED_HEADER_SIZE = len(SIGNATURE) + _FIXED.size  # 30
_CHUNK_HEAD = struct.Struct(">4sI")
_CRC = struct.Struct(">I")
_U32_MAX = 0xFFFFFFFF


@dataclass(frozen=True)
class ContainerHeader:
    """The fixed header of a ``.cool`` file (what the image is, not how it is coded)."""

    width: int
    height: int
    color: ColorName
    bitdepth: int
    profile: int = PROFILE_C3_FRAME
    version: tuple[int, int] = (VERSION_MAJOR, VERSION_MINOR)

    @property
    def n_pixels(self) -> int:
        return self.width * self.height

    @property
    def profile_name(self) -> str:
        return PROFILES.get(self.profile, f"unknown profile {self.profile}")


def is_critical(tag: str) -> bool:
    """A chunk is critical when its tag starts with an upper-case letter."""
    return tag[:1].isupper()


def _check_tag(tag: str) -> None:
    raw = tag.encode("latin-1", errors="replace")
    if len(raw) != 4 or not set(raw) <= _TAG_CHARS or tag[0] == " ":
        raise ValueError(f"chunk tag {tag!r}: must be 4 ASCII letters/digits/spaces, not starting with a space")


def _check_image_fields(width: int, height: int, color: str, bitdepth: int) -> None:
    """Raise ValueError when the fields cannot describe a Cool-chic 3.0 image."""
    if not (1 <= width <= MAX_DIMENSION and 1 <= height <= MAX_DIMENSION):
        raise ValueError(f"image size {width}x{height}: width and height must be in 1..{MAX_DIMENSION}")
    if color not in _COLOR_CODES:
        raise ValueError(f"colour format {color!r}: expected one of {sorted(_COLOR_CODES)}")
    if bitdepth not in _BITDEPTHS:
        raise ValueError(f"bit depth {bitdepth}: expected 8 or 10")
    if color == "yuv420" and (width < 2 or height < 2):
        raise ValueError(f"yuv420 image {width}x{height}: width and height must be >= 2")


def write_container(payload: bytes, header: ContainerHeader, chunks: dict[str, bytes] | None = None) -> bytes:
    """Wrap a Cool-chic 3.0 ``payload`` into ``.cool`` bytes.

    ``chunks`` maps 4-character tags to metadata (``iccp``, ``exif``, ``xmp ``, ``alph`` ...),
    written in the dict's order. Raises ``ValueError`` on fields that cannot be stored.
    """
    chunks = chunks or {}
    _check_image_fields(header.width, header.height, header.color, header.bitdepth)
    if header.profile not in PROFILES:
        raise ValueError(f"payload profile {header.profile}: expected one of {sorted(PROFILES)}")
    if not 0 < len(payload) <= _U32_MAX:
        raise ValueError(f"payload of {len(payload)} bytes: must be 1..{_U32_MAX}")
    if len(chunks) > 0xFFFF:
        raise ValueError(f"{len(chunks)} chunks: at most 65535")
    parts = [
        SIGNATURE,
        _FIXED.pack(
            VERSION_MAJOR,
            VERSION_MINOR,
            FIXED_HEADER_SIZE,
            header.width,
            header.height,
            _COLOR_CODES[header.color],
            header.bitdepth,
            header.profile,
            len(payload),
            len(chunks),
        ),
    ]
    for tag, data in chunks.items():
        _check_tag(tag)
        if is_critical(tag) and tag not in KNOWN_CRITICAL_TAGS:
            raise ValueError(f"chunk tag {tag!r}: unknown critical chunk (use a lower-case first letter)")
        if len(data) > _U32_MAX:
            raise ValueError(f"chunk {tag!r}: {len(data)} bytes is more than {_U32_MAX}")
        parts += [_CHUNK_HEAD.pack(tag.encode("ascii"), len(data)), bytes(data)]
    parts.append(bytes(payload))
    body = b"".join(parts)
    return body + _CRC.pack(zlib.crc32(body))


def looks_like_cool(prefix: bytes) -> bool:
    """True when ``prefix`` starts with the exact 9-byte ``.cool`` signature."""
    return bytes(prefix[: len(SIGNATURE)]) == SIGNATURE


def looks_like_c3_bitstream(prefix: bytes) -> bool:
    """Heuristic check of the first 11 bytes of an official Cool-chic 3.0 ``.bin`` image stream (spec §6)."""
    p = bytes(prefix[:11])
    return (
        len(p) == 11
        and p[0:2] == b"\x00\x09"
        and p[6] in (0x00, 0x04, 0x24)
        and p[7:9] == b"\x00\x00"
        and struct.unpack(">H", p[9:11])[0] >= 40
    )


def sniff(prefix: bytes) -> str:
    """Say in words what ``prefix`` (the first bytes of some data) looks like, for error messages."""
    p = bytes(prefix[:64])
    if not p:
        return "empty data"
    if looks_like_cool(p):
        return "a .cool file"
    if len(p) < len(SIGNATURE) and SIGNATURE.startswith(p):
        return "the start of a .cool signature (truncated)"
    if p[1:5] == b"COOL" or p[:7] == b"\xef\xbf\xbdCOOL":
        return "a .cool file damaged by a text-mode transfer (line endings or 8th bit changed)"
    magics = (
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"BM", "a BMP image"),
        (b"\xff\x0a", "a JPEG XL image"),
        (b"\x00\x00\x00\x0cJXL ", "a JPEG XL image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "gzip-compressed data"),
    )
    for magic, name in magics:
        if p.startswith(magic):
            return name
    if p[:4] == b"RIFF" and p[8:12] == b"WEBP":
        return "a WebP image"
    if p[4:8] == b"ftyp":
        brand = p[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image"
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"):
            return "a HEIF/HEIC image"
        return "an ISO-BMFF (MP4/QuickTime) file"
    if looks_like_c3_bitstream(p):
        return "an official Cool-chic 3.0 bitstream (.bin)"
    try:
        text = p.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\r\n\t" for c in text):
        return "text"
    return "unknown binary data"


MAX_CHUNK_BYTES = 64 << 20
"""Default limit on one chunk's declared length (64 MiB), checked before reading it."""


@dataclass(frozen=True)
class _Layout:
    """What the structure of a ``.cool`` stream says, before any field is checked."""

    version: tuple[int, int]
    fields: tuple[int, ...]  # width, height, colour code, bit depth, profile
    chunks: dict[str, bytes]
    raw_tags: list[bytes]
    payload_offset: int
    payload_length: int


def _read_layout(read: Callable[[int, str], bytes], max_chunk_bytes: int | None) -> _Layout:
    """Signature, version, fixed header and chunks, pulled through ``read(size, what)``.

    ``read`` returns exactly ``size`` bytes or raises ``TruncatedDataError``; a chunk
    longer than ``max_chunk_bytes`` is refused before it is read.
    """
    signature = read(len(SIGNATURE), "the signature")
    if signature != SIGNATURE:
        raise NotCoolchicError(f"not a .cool file: the data looks like {sniff(signature)}")
    major, minor = read(2, "the version")
    if major > VERSION_MAJOR:
        raise UnsupportedError(
            f"unsupported .cool container version {major}.{minor} (this reader supports {VERSION_MAJOR}.x)"
        )
    if major < 1:
        raise CorruptDataError(f"invalid .cool container version {major}.{minor}")
    rest = read(_FIXED.size - 2, "the fixed header")
    (fixed_size, width, height, color_code, bitdepth, profile, payload_len, n_chunks) = _FIXED_REST.unpack(rest)
    if fixed_size < FIXED_HEADER_SIZE:
        raise CorruptDataError(f"fixed header size {fixed_size} is smaller than {FIXED_HEADER_SIZE}")
    read(fixed_size - FIXED_HEADER_SIZE, "the fixed header")
    pos = fixed_size
    chunks: dict[str, bytes] = {}
    raw_tags: list[bytes] = []
    for i in range(n_chunks):
        raw_tag, length = _CHUNK_HEAD.unpack(read(_CHUNK_HEAD.size, f"chunk {i} header"))
        _check_chunk_size(raw_tag, length, max_chunk_bytes)
        raw_tags.append(raw_tag)
        chunks[raw_tag.decode("latin-1")] = read(length, f"chunk {i} ({raw_tag!r}, {length} bytes)")
        pos += _CHUNK_HEAD.size + length
    fields = (width, height, color_code, bitdepth, profile)
    return _Layout((major, minor), fields, chunks, raw_tags, pos, payload_len)


def _check_chunk_size(tag: bytes, length: int, max_chunk_bytes: int | None) -> None:
    if max_chunk_bytes is not None and length > max_chunk_bytes:
        raise ImageTooLargeError(
            f"chunk {tag!r} declares {length} bytes, more than the limit of {max_chunk_bytes} (max_chunk_bytes)"
        )


def _check_fields(layout: _Layout, max_pixels: int | None, max_chunk_bytes: int | None) -> ContainerHeader:
    """Header fields, chunk tags and sizes, payload length and the pixel limit (after the CRC, if any)."""
    header = _check_header(*layout.fields, layout.version)
    _check_chunk_tags(layout.raw_tags)
    for raw_tag, data in zip(layout.raw_tags, layout.chunks.values()):
        _check_chunk_size(raw_tag, len(data), max_chunk_bytes)
    if layout.payload_length == 0:
        raise CorruptDataError("empty payload")
    if max_pixels is not None and header.n_pixels > max_pixels:
        raise ImageTooLargeError(
            f"image of {header.width}x{header.height} = {header.n_pixels} pixels exceeds the limit of {max_pixels} "
            "(max_pixels; a possible decompression bomb)"
        )
    return header


def read_container(
    data: bytes,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
) -> tuple[ContainerHeader, dict[str, bytes], bytes]:
    """Parse and check ``.cool`` bytes; return ``(header, chunks, payload)``.

    Checks, in order: signature, version, every length against the data, the CRC-32,
    the header fields, the chunk tags and sizes (``max_chunk_bytes``), then ``max_pixels``
    (``None`` = no limit). Raises only :class:`~coolchic.errors.CoolchicError` subclasses.
    """
    data = bytes(data)
    if not looks_like_cool(data):
        if len(data) < len(SIGNATURE) and data and SIGNATURE.startswith(data):
            raise TruncatedDataError(f".cool data truncated inside the signature ({len(data)} bytes)")
        raise NotCoolchicError(f"not a .cool file: the data looks like {sniff(data)}")
    pos = 0

    def read(size: int, what: str) -> bytes:
        nonlocal pos
        if len(data) < pos + size:
            raise TruncatedDataError(
                f".cool data truncated: {what} needs {pos + size} bytes, only {len(data)} present"
            )
        pos += size
        return data[pos - size : pos]

    layout = _read_layout(read, None)  # in memory: lengths and CRC first, sizes below
    payload_end = layout.payload_offset + layout.payload_length
    read(layout.payload_length + _CRC.size, f"the payload ({layout.payload_length} bytes) and CRC")
    if len(data) > pos:
        raise CorruptDataError(f"{len(data) - pos} unexpected bytes after the end of the .cool data")
    (stored_crc,) = _CRC.unpack_from(data, payload_end)
    if zlib.crc32(memoryview(data)[:payload_end]) != stored_crc:
        raise CorruptDataError(".cool data corrupted: CRC-32 mismatch")
    header = _check_fields(layout, max_pixels, max_chunk_bytes)
    return header, layout.chunks, data[layout.payload_offset : payload_end]


class HeaderView(NamedTuple):
    """What :func:`read_header` returns: header, chunks and where the payload lies."""

    header: ContainerHeader
    chunks: dict[str, bytes]
    payload_offset: int
    payload_length: int

    @property
    def total_length(self) -> int:
        """Length of the whole ``.cool`` data: payload and CRC-32 included."""
        return self.payload_offset + self.payload_length + _CRC.size


def read_header(
    fp: BinaryIO,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_chunk_bytes: int | None = MAX_CHUNK_BYTES,
) -> HeaderView:
    """Read the header and chunks at the current position of ``fp``, without its payload.

    Returns ``(header, chunks, payload_offset, payload_length)`` (a :class:`HeaderView`),
    the offset counted from where ``fp`` was, and leaves ``fp`` at the payload. Reads only the bytes it needs and
    makes the checks of :func:`read_container` that need no payload: the payload's
    presence and the CRC-32 are checked when the whole data is read (``read_container``).
    """
    def read(size: int, what: str) -> bytes:
        got = fp.read(size) if size else b""
        if len(got) != size:
            if what == "the signature" and not (got and SIGNATURE.startswith(got)):
                raise NotCoolchicError(f"not a .cool file: the data looks like {sniff(got)}")
            raise TruncatedDataError(f".cool data truncated in {what} ({len(got)} of {size} bytes present)")
        return got

    layout = _read_layout(read, max_chunk_bytes)
    header = _check_fields(layout, max_pixels, max_chunk_bytes)
    return HeaderView(header, layout.chunks, layout.payload_offset, layout.payload_length)


def add_chunk(cool: bytes, tag: str, chunk: bytes | None) -> bytes:
    """``cool`` with one more chunk (unchanged when ``chunk`` is ``None``); the CRC is recomputed."""
    if chunk is None:
        return cool
    header, chunks, payload = read_container(cool, max_pixels=None, max_chunk_bytes=None)
    return write_container(payload, header, {**chunks, tag: chunk})


def _check_header(
    width: int, height: int, color_code: int, bitdepth: int, profile: int, version: tuple[int, int]
) -> ContainerHeader:
    if profile not in PROFILES:
        raise UnsupportedError(f"unsupported payload profile {profile}")
    if color_code not in _COLOR_NAMES:
        raise UnsupportedError(f"unsupported colour format code {color_code}")
    if bitdepth not in _BITDEPTHS:
        raise UnsupportedError(f"unsupported bit depth {bitdepth}")
    color = _COLOR_NAMES[color_code]
    try:
        _check_image_fields(width, height, color, bitdepth)
    except ValueError as exc:
        raise CorruptDataError(f"invalid .cool header: {exc}") from None
    return ContainerHeader(width, height, color, bitdepth, profile, version)  # type: ignore[arg-type]


def _check_chunk_tags(raw_tags: list[bytes]) -> None:
    if len(set(raw_tags)) != len(raw_tags):
        raise CorruptDataError("duplicate chunk tag")
    for raw in raw_tags:
        tag = raw.decode("latin-1")
        if not set(raw) <= _TAG_CHARS or raw[:1] == b" ":
            raise CorruptDataError(f"invalid chunk tag {raw!r}")
        if is_critical(tag) and tag not in KNOWN_CRITICAL_TAGS:
            raise UnsupportedError(f"unsupported critical chunk {tag!r}")
