"""NN-parameter streams of Cool-chic 3.0 (spec §5.4). No torch.

Each (module, weight|bias) symbol sequence is one range-coded stream with μ = 0 and the coder
scale of an NN-scale-table index chosen by the encoder; support [-A_nn, A_nn+1].
"""

from __future__ import annotations

import math

import constriction
import numpy as np

from coolchic.c3.entropy import (
    check_exhausted,
    corrupt_on_coder_failure,
    encoded_bytes,
    fixed_laplace,
    new_decoder,
)
from coolchic.c3.tables import nn_coder_scales128, nn_scale_table
from coolchic.errors import CorruptDataError

MIN_BITS_PER_SYMBOL = 1.34
"""Every NN symbol costs more than this (coder scale >= 1 gives P(s) <= 1 - e^-0.5 ≈ 0.3935)."""


def max_symbols(n_bytes: int) -> int:
    """An upper bound on the number of symbols a valid NN stream of n_bytes can hold."""
    return int((8 * n_bytes + 128) / MIN_BITS_PER_SYMBOL)


def nn_scale_index(symbols: np.ndarray) -> int:
    """NN-scale index for a symbol sequence: argmin |table - std/√2| (unbiased std).

    With 0 or 1 symbol the std is undefined; we use σ = 0, i.e. index 0 (scale 1.0), which
    is also what argmin over the reference's NaN distances returns.
    """
    symbols = np.asarray(symbols, dtype=np.float64)
    sigma = float(np.std(symbols, ddof=1)) / math.sqrt(2) if symbols.size > 1 else 0.0
    table = nn_scale_table()
    distance = np.abs(table - np.float32(sigma))
    return int(np.argmin(distance))


def encode_nn_stream(symbols: np.ndarray, ac_max: int) -> tuple[int, bytes]:
    """(scale index, sealed stream) for one symbol sequence; ValueError if out of support."""
    symbols = np.ascontiguousarray(symbols, dtype=np.int32)
    if symbols.size and (symbols.min() < -ac_max or symbols.max() > ac_max + 1):
        raise ValueError("NN symbols outside the support [-A_nn, A_nn+1]")
    index = nn_scale_index(symbols)
    encoder = constriction.stream.queue.RangeEncoder()
    if symbols.size:
        scale = nn_coder_scales128()[index] / 128
        encoder.encode(symbols, fixed_laplace(ac_max, scale))
    return index, encoded_bytes(encoder)


def decode_nn_stream(
    data: bytes | memoryview, n_symbols: int, scale_index: int, ac_max: int, what: str
) -> np.ndarray:
    """Decode n_symbols int32 NN symbols; CorruptDataError on inconsistent data."""
    if n_symbols > max_symbols(len(data)) or (n_symbols == 0) != (len(data) == 0):
        raise CorruptDataError(f"{what}: {len(data)} bytes cannot hold {n_symbols} parameters")
    if n_symbols == 0:
        return np.zeros(0, dtype=np.int32)
    decoder = new_decoder(data)
    scale = nn_coder_scales128()[scale_index] / 128
    with corrupt_on_coder_failure(what):
        symbols = decoder.decode(fixed_laplace(ac_max, scale), n_symbols)
    check_exhausted(decoder, what)
    return np.asarray(symbols, dtype=np.int32)
