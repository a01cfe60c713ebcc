"""The .cool container: round trip, every malformed field, CRC, truncation, limits, sniffer."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from coolchic.container import (
    DEFAULT_MAX_PIXELS,
    FIXED_HEADER_SIZE,
    SIGNATURE,
    ContainerHeader,
    looks_like_c3_bitstream,
    looks_like_cool,
    read_container,
    sniff,
    write_container,
)
from coolchic.errors import (
    CoolchicError,
    CorruptDataError,
    ImageTooLargeError,
    NotCoolchicError,
    TruncatedDataError,
    UnsupportedError,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PAYLOAD = bytes(range(37))
HEADER = ContainerHeader(width=48, height=32, color="rgb", bitdepth=8)
CHUNKS = {"iccp": b"icc-profile", "exif": b"Exif\x00\x00MM", "xmp ": b"<x:xmpmeta/>"}


def _small() -> bytes:
    return write_container(PAYLOAD, HEADER, CHUNKS)


def _patch(data: bytes, offset: int, new: bytes, fix_crc: bool = True) -> bytes:
    """Overwrite bytes at ``offset`` and recompute the trailing CRC."""
    out = bytearray(data)
    out[offset : offset + len(new)] = new
    if fix_crc:
        out[-4:] = struct.pack(">I", zlib.crc32(bytes(out[:-4])))
    return bytes(out)


def test_round_trip_with_chunks() -> None:
    data = _small()
    assert data.startswith(SIGNATURE) and len(SIGNATURE) == 9
    header, chunks, payload = read_container(data)
    assert header == HEADER
    assert header.profile_name == "Cool-chic 3.0 frame"
    assert chunks == CHUNKS and list(chunks) == list(CHUNKS)
    assert payload == PAYLOAD
    assert len(data) == FIXED_HEADER_SIZE + sum(8 + len(v) for v in CHUNKS.values()) + len(PAYLOAD) + 4


@pytest.mark.parametrize("color,bitdepth", [("rgb", 8), ("gray", 8), ("yuv420", 8), ("yuv420", 10), ("rgb", 10)])
def test_round_trip_formats(color: str, bitdepth: int) -> None:
    header = ContainerHeader(65535, 2, color, bitdepth)  # type: ignore[arg-type]
    got, chunks, payload = read_container(write_container(b"x", header), max_pixels=None)
    assert (got, chunks, payload) == (header, {}, b"x")


def test_fixed_layout() -> None:
    data = _small()
    major, minor, fixed, w, h, color, bd, profile, plen, nchunks = struct.unpack_from(">BBHIIBBBIH", data, 9)
    assert (major, minor, fixed, w, h, color, bd, profile) == (1, 0, 30, 48, 32, 0, 8, 1)
    assert (plen, nchunks) == (len(PAYLOAD), 3)
    assert struct.unpack(">I", data[-4:])[0] == zlib.crc32(data[:-4])


@pytest.mark.parametrize(
    "header,chunks,payload",
    [
        (ContainerHeader(0, 32, "rgb", 8), {}, b"x"),
        (ContainerHeader(48, 65536, "rgb", 8), {}, b"x"),
        (ContainerHeader(48, 32, "cmyk", 8), {}, b"x"),  # type: ignore[arg-type]
        (ContainerHeader(48, 32, "rgb", 12), {}, b"x"),
        (ContainerHeader(1, 32, "yuv420", 8), {}, b"x"),
        (ContainerHeader(48, 32, "rgb", 8, profile=9), {}, b"x"),
        (HEADER, {}, b""),
        (HEADER, {"abc": b""}, b"x"),
        (HEADER, {" abc": b""}, b"x"),
        (HEADER, {"ab\x00c": b""}, b"x"),
        (HEADER, {"ALPH": b""}, b"x"),  # unknown critical chunk
    ],
)
def test_write_rejects_bad_fields(header: ContainerHeader, chunks: dict[str, bytes], payload: bytes) -> None:
    with pytest.raises(ValueError):
        write_container(payload, header, chunks)


def test_not_cool_and_sniffer_in_message() -> None:
    with pytest.raises(NotCoolchicError, match="PNG"):
        read_container(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(NotCoolchicError, match="empty"):
        read_container(b"")


@pytest.mark.parametrize(
    "mangled",
    [
        SIGNATURE.replace(b"\r\n", b"\n"),  # CRLF -> LF
        SIGNATURE.replace(b"\n", b"\r\n"),  # LF -> CRLF
        bytes([SIGNATURE[0] & 0x7F]) + SIGNATURE[1:],  # 7-bit transfer
        b"\xef\xbf\xbd" + SIGNATURE[1:],  # decoded as UTF-8 with replacement
    ],
)
def test_text_mode_mangling_detected(mangled: bytes) -> None:
    data = mangled + _small()[len(SIGNATURE) :]
    assert not looks_like_cool(data)
    with pytest.raises(NotCoolchicError, match="text-mode"):
        read_container(data)


def test_crc_mismatch() -> None:
    data = _small()
    for offset in (9, 20, FIXED_HEADER_SIZE + 3, len(data) - 10, len(data) - 1):
        bad = bytearray(data)
        bad[offset] ^= 0x01
        with pytest.raises(CoolchicError):
            read_container(bytes(bad))
    bad = _patch(data, len(data) - 10, b"\x00\x01", fix_crc=False)
    with pytest.raises(CorruptDataError, match="CRC"):
        read_container(bad)


def test_truncation_at_every_offset() -> None:
    data = _small()
    for n in range(1, len(data)):
        with pytest.raises(TruncatedDataError):
            read_container(data[:n])


def test_trailing_bytes() -> None:
    with pytest.raises(CorruptDataError, match="after the end"):
        read_container(_small() + b"\x00")


def test_newer_and_invalid_versions() -> None:
    data = _small()
    with pytest.raises(UnsupportedError, match="unsupported .cool container version 2.0"):
        read_container(_patch(data, 9, b"\x02"))
    with pytest.raises(CorruptDataError, match="version"):
        read_container(_patch(data, 9, b"\x00"))
    # a newer minor version with a longer fixed header is readable (extra bytes skipped)
    header, chunks, payload = read_container(write_container(PAYLOAD, HEADER, CHUNKS))
    longer = bytearray(data[:-4])
    longer[10] = 7
    longer[11:13] = struct.pack(">H", 34)
    longer[30:30] = b"\xaa\xbb\xcc\xdd"
    longer += struct.pack(">I", zlib.crc32(bytes(longer)))
    got = read_container(bytes(longer))
    assert got[0].version == (1, 7) and got[1] == chunks and got[2] == payload


@pytest.mark.parametrize(
    "offset,value,error",
    [
        (11, struct.pack(">H", 29), CorruptDataError),  # fixed header size too small
        (13, struct.pack(">I", 0), CorruptDataError),  # width 0
        (17, struct.pack(">I", 70000), CorruptDataError),  # height > 65535
        (21, b"\x07", UnsupportedError),  # colour code
        (22, b"\x0c", UnsupportedError),  # bit depth
        (23, b"\x02", UnsupportedError),  # profile
        (30, b"ICCP", UnsupportedError),  # unknown critical chunk
        (30, b"ic\x01p", CorruptDataError),  # bad tag characters
        (30, b"exif", CorruptDataError),  # duplicate tag
    ],
)
def test_malformed_fields(offset: int, value: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        read_container(_patch(_small(), offset, value))


def test_yuv420_too_small_is_corrupt() -> None:
    data = write_container(b"x", ContainerHeader(2, 2, "yuv420", 8))
    with pytest.raises(CorruptDataError):
        read_container(_patch(data, 13, struct.pack(">I", 1)))


@pytest.mark.parametrize("offset,value", [(24, 2**32 - 1), (28, 500)])
def test_lengths_beyond_data_are_truncation(offset: int, value: int) -> None:
    fmt = ">I" if offset == 24 else ">H"
    with pytest.raises(TruncatedDataError):
        read_container(_patch(_small(), offset, struct.pack(fmt, value)))


def test_chunk_length_beyond_data() -> None:
    with pytest.raises(TruncatedDataError, match="chunk 0"):
        read_container(_patch(_small(), 34, struct.pack(">I", 2**32 - 1)))


def test_empty_payload_is_corrupt() -> None:
    data = write_container(b"x", HEADER)
    body = data[:24] + struct.pack(">I", 0) + data[28:-5]
    with pytest.raises(CorruptDataError, match="empty payload"):
        read_container(body + struct.pack(">I", zlib.crc32(body)))


def test_bomb_limit() -> None:
    big = ContainerHeader(30000, 30000, "rgb", 8)
    data = write_container(b"x", big)
    assert big.n_pixels > DEFAULT_MAX_PIXELS
    with pytest.raises(ImageTooLargeError, match="max_pixels"):
        read_container(data)
    assert read_container(data, max_pixels=None)[0] == big
    with pytest.raises(ImageTooLargeError):
        read_container(_small(), max_pixels=48 * 32 - 1)
    assert read_container(_small(), max_pixels=48 * 32)[0] == HEADER


@pytest.mark.parametrize(
    "prefix,expected",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"II*\x00\x08\x00", "TIFF"),
        (b"MM\x00*\x00\x00", "TIFF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
        (b"\x00\x00\x00\x1cftypavif\x00", "AVIF"),
        (b"\x00\x00\x00\x18ftypheic\x00", "HEIC"),
        (b"GIF89a\x01\x00", "GIF"),
        (bytes.fromhex("0009020003000000000050000302"), "Cool-chic 3.0 bitstream"),
        (b"hello world\n", "text"),
        (b"", "empty"),
        (SIGNATURE[:4], "truncated"),
        (b"\x00\x01\x02\xff\xfe", "unknown"),
    ],
)
def test_sniffer(prefix: bytes, expected: str) -> None:
    assert expected in sniff(prefix)


def test_c3_bitstream_heuristic_on_official_file() -> None:
    path = SHARED / "data/coolchic3/kodak-bitstreams/kodim01-lmbda-0001.bin"
    assert looks_like_c3_bitstream(path.read_bytes()[:16])
    assert not looks_like_c3_bitstream(_small())
