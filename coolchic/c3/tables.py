"""Exact scale tables of the 3.0 entropy path (spec §5.4.3 and §5.5). No torch.

* NN-scale table: 65535 f32 values shipped in ``data/nn_scale_table.bin`` (generated once by
  ``data/make_nn_scale_table.py`` with torch) and checked against the spec's SHA-256.
* Log-scale table ``n(l) = round_even(128 * f32 exp(-l / 128))``: the coder scale times 128
  for the integer ARM output ``l``; computed here with ``math.exp`` and checked by SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import math
import zlib
from importlib import resources

import numpy as np

NN_SCALE_TABLE_SIZE = 65535
NN_SCALE_TABLE_SHA256 = "c3983965c2fdb62cd2666c953d16e8af30e5766e08e8e6512af55c1cc31095c0"
NN_CODER_SCALE_SHA256 = "6aaa727744e1abbc93d608eb8d508c9be07528d726b1ca4f45de29c10f5c6d98"
LOG_SCALE_SHA256 = "8cb634f79679142f97c387a2c3b027707d7c59fed7b624311b1909a63f26aa9b"

L_MIN = -640
"""Smallest tabulated ARM log-scale output l (log_scale = l/64 = -10, the lower clamp)."""
L_MAX = 885
"""Largest tabulated l; every l >= L_MAX hits the upper clamp 13.8155 (coder scale 0)."""
LOG_SCALE_LOWER = np.float32(-10.0)
LOG_SCALE_UPPER = np.float32(13.8155)


class TableChecksumError(RuntimeError):
    """A scale table does not match its SHA-256 from the spec (broken installation)."""


def _check(data: bytes, expected: str, what: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise TableChecksumError(f"{what}: SHA-256 {digest} != {expected}")


@functools.cache
def nn_scale_table() -> np.ndarray:
    """The 65535 f32 NN-scale values ``v_j`` (read-only array)."""
    packed = resources.files("coolchic.c3").joinpath("data/nn_scale_table.bin").read_bytes()
    deltas = np.frombuffer(zlib.decompress(packed), dtype="<u4").astype(np.uint64)
    bits = (np.cumsum(deltas) & np.uint64(0xFFFFFFFF)).astype("<u4")
    table = bits.view("<f4").astype(np.float32)
    _check(table.astype("<f4").tobytes(), NN_SCALE_TABLE_SHA256, "NN-scale table")
    if table.shape != (NN_SCALE_TABLE_SIZE,):
        raise TableChecksumError("NN-scale table has the wrong size")
    table.setflags(write=False)
    return table


@functools.cache
def nn_coder_scales128() -> np.ndarray:
    """``round_even(128 * v_j)`` as int64: the coder scale of each NN-scale index, times 128."""
    scaled = np.rint(nn_scale_table().astype(np.float64) * 128).astype(np.int64)
    _check(scaled.astype("<u4").tobytes(), NN_CODER_SCALE_SHA256, "NN coder scales")
    scaled.setflags(write=False)
    return scaled


def _n_of_l(l_value: int) -> int:
    x = np.float32(l_value / 64)
    x = min(max(x, LOG_SCALE_LOWER), LOG_SCALE_UPPER)
    scale = np.float32(math.exp(float(np.float32(-0.5) * x)))
    return int(np.rint(np.float64(scale) * 128))


@functools.cache
def log_scale_table() -> np.ndarray:
    """int64 ``n(l)`` for l = L_MIN..L_MAX (index ``l - L_MIN``)."""
    table = np.array([_n_of_l(v) for v in range(L_MIN, L_MAX + 1)], dtype=np.int64)
    _check(table.astype("<i4").tobytes(), LOG_SCALE_SHA256, "log-scale table")
    table.setflags(write=False)
    return table


def coder_scale128(log_scale64: np.ndarray) -> np.ndarray:
    """Coder scale times 128 (int64) for integer ARM outputs ``l`` (log_scale = l/64)."""
    index = np.clip(log_scale64, L_MIN, L_MAX).astype(np.int64) - L_MIN
    return log_scale_table()[index]
