"""Scale tables (spec §5.4.3, §5.5), the Laplace model (§5.1) and NN streams (§5.4)."""

from __future__ import annotations

import constriction
import numpy as np
import pytest

from coolchic.c3.entropy import encoded_bytes, laplace_bits, laplace_family
from coolchic.c3.nn_streams import decode_nn_stream, encode_nn_stream, nn_scale_index
from coolchic.c3.tables import nn_coder_scales128, nn_scale_table
from coolchic.errors import CorruptDataError


def test_nn_scale_table_spot_values() -> None:
    table = nn_scale_table()
    assert table.dtype == np.float32 and table.shape == (65535,)
    assert table[:3].tolist() == [1.0, 1.0, 1.0] and table[-1] == 65536.0
    expected = {1000: (1.18359375, 1.1875), 10000: (5.43359375, 5.4375),
                17170: (18.28515625, 18.28125), 32989: (265.888671875, 265.890625)}
    for j, (value, coder) in expected.items():
        assert table[j] == value
        assert nn_coder_scales128()[j] / 128 == coder
    assert nn_coder_scales128()[50000] / 128 == 4730.03125


@pytest.mark.parametrize(("scale128", "ac_max"), [(128, 5), (1, 20), (700, 300), (18997, 65535)])
def test_laplace_bits_match_constriction_size(scale128: int, ac_max: int) -> None:
    rng = np.random.default_rng(scale128)
    n = 4000
    mu64 = rng.integers(-64 * 3, 64 * 3, n)
    scale = np.full(n, scale128)
    symbols = np.clip(np.round(mu64 / 64 + rng.laplace(0, scale128 / 128, n)), -ac_max, ac_max + 1)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(symbols.astype(np.int32), laplace_family(ac_max), mu64 / 64, scale / 128.0)
    size_bits = 8 * len(encoded_bytes(encoder))
    bits = laplace_bits(symbols, mu64, scale, ac_max)
    assert bits <= size_bits <= bits + 64


def test_zero_scale_point_mass_semantics() -> None:
    """b = 0: all the free weight on floor(μ + 0.5) (ties go up), 1/2^24 elsewhere."""
    ac_max = 10
    fw = 2**24 - 1 - (2 * ac_max + 1)
    for mu64, star in [(0, 0), (32, 1), (31, 0), (-32, 0), (-33, -1), (64 * 20, 11), (-64 * 20, -10)]:
        for s in range(-ac_max, ac_max + 2):
            bits = laplace_bits([s], [mu64], [0], ac_max)
            expected = 24 - np.log2(fw + 1) if s == star else 24.0
            assert bits == pytest.approx(expected), (mu64, s)
    # constriction codes a long run of predicted symbols in one word
    encoder = constriction.stream.queue.RangeEncoder()
    n = 10000
    encoder.encode(np.ones(n, np.int32), laplace_family(ac_max), np.full(n, 0.5), np.zeros(n))
    assert len(encoded_bytes(encoder)) == 4


@pytest.mark.parametrize("symbols", [[], [7], [0, 0, 0], list(range(-40, 41)), [3000, -2999, 5]])
def test_nn_stream_round_trip(symbols: list[int]) -> None:
    symbols_arr = np.array(symbols, dtype=np.int32)
    ac_max = int(np.abs(symbols_arr).max(initial=0)) + 2
    index, stream = encode_nn_stream(symbols_arr, ac_max)
    assert len(stream) % 4 == 0 and (len(stream) == 0) == (len(symbols) == 0)
    decoded = decode_nn_stream(stream, len(symbols), index, ac_max, "test")
    assert decoded.tolist() == symbols


def test_nn_scale_index_choice() -> None:
    assert nn_scale_index(np.array([5])) == 0  # degenerate: one symbol -> scale 1.0
    assert nn_scale_index(np.zeros(10)) == 0
    symbols = np.random.default_rng(0).laplace(0, 20, 5000).round()
    sigma = symbols.std(ddof=1) / np.sqrt(2)
    index = nn_scale_index(symbols)
    table = nn_scale_table()
    assert abs(table[index] - sigma) <= np.abs(table - sigma).min() + 1e-6
    assert index == 0 or table[index - 1] != table[index]  # first of equal entries


def test_nn_stream_refuses_out_of_support_and_too_many_symbols() -> None:
    with pytest.raises(ValueError):
        encode_nn_stream(np.array([10]), 5)
    with pytest.raises(CorruptDataError):
        decode_nn_stream(b"\0" * 4, 1000, 0, 5, "test")
    with pytest.raises(CorruptDataError):
        decode_nn_stream(b"", 1, 0, 5, "test")
