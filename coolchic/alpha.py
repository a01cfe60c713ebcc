"""The ``alph`` chunk: an 8-bit alpha plane stored losslessly (see ``docs/format.md``).

Layout: 1 byte method (0 = zlib-compressed rows of ``width`` uint8 samples, top to
bottom), then the zlib stream. Width and height are those of the ``.cool`` header.
A fully opaque alpha plane is not stored at all. Used by the Pillow and imageio plugins
and the CLI alike.
"""

from __future__ import annotations

import zlib

import numpy as np

from .container import TAG_ALPHA
from .errors import CorruptDataError, UnsupportedError

METHOD_ZLIB = 0

__all__ = ["TAG_ALPHA", "METHOD_ZLIB", "encode_alpha", "decode_alpha"]


def encode_alpha(alpha: np.ndarray) -> bytes | None:
    """Chunk bytes for an ``H x W`` uint8 alpha plane, or ``None`` when it is fully opaque."""
    plane = np.ascontiguousarray(alpha, dtype=np.uint8)
    if plane.ndim != 2:
        raise ValueError(f"alpha plane: expected a 2-D array, got shape {plane.shape}")
    if bool((plane == 255).all()):
        return None
    return bytes([METHOD_ZLIB]) + zlib.compress(plane.tobytes(), 9)


def decode_alpha(chunk: bytes, width: int, height: int) -> np.ndarray:
    """The ``H x W`` uint8 alpha plane of an ``alph`` chunk (never inflates more than ``W*H+1`` bytes)."""
    if not chunk:
        raise CorruptDataError("alpha chunk is empty")
    if chunk[0] != METHOD_ZLIB:
        raise UnsupportedError(f"alpha chunk: unknown compression method {chunk[0]}")
    expected = width * height
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(chunk[1:], expected + 1)
    except zlib.error as exc:
        raise CorruptDataError(f"alpha chunk: {exc}") from None
    if len(raw) != expected or not inflater.eof or inflater.unused_data:
        raise CorruptDataError(f"alpha chunk: expected exactly {expected} samples for {width}x{height}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width)
