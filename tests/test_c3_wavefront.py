"""Latent coding order (spec §5.3) and range coding of latent grids."""

from __future__ import annotations

import numpy as np
import pytest
from c3_frames import random_arm, small_arch

from coolchic.c3.arm_fixed import FixedPointArm, context_offsets
from coolchic.c3.wavefront import decode_grids, encode_grid, wave_index, wave_order
from coolchic.errors import CorruptDataError

SHAPES = [(1, 1), (1, 6), (6, 1), (3, 2), (4, 3), (5, 4), (7, 9), (6, 10)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_order_is_causal_permutation(shape: tuple[int, int], n: int) -> None:
    h, w = shape
    order = wave_order(h, w, n)
    assert sorted(order.tolist()) == list(range(h * w))
    rank = np.empty(h * w, dtype=np.int64)
    rank[order] = np.arange(h * w)
    t = wave_index(h, w, n)
    for idx in range(h * w):
        r, c = divmod(idx, w)
        for dy, dx in context_offsets(n):
            if 0 <= r + dy < h and 0 <= c + dx < w:
                neighbour = (r + dy) * w + c + dx
                assert rank[neighbour] < rank[idx]
                assert t[neighbour] < t[idx]  # never in the same wave


@pytest.mark.parametrize(("h", "w", "n"), [(4, 2, 3), (5, 1, 3), (3, 3, 3), (6, 2, 2)])
def test_narrow_grids_use_raster_order(h: int, w: int, n: int) -> None:
    """w <= N: one symbol per wave, i.e. raster order (what the 3.0 encoder does)."""
    assert wave_order(h, w, n).tolist() == list(range(h * w))


def test_wave_first_positions_follow_spec_formula() -> None:
    h, w, n = 6, 10, 3
    t = wave_index(h, w, n)
    for wave in range(w + (h - 1) * (n + 1)):
        members = np.flatnonzero(t == wave)
        if wave < w:
            first = (0, wave)
        else:
            first = ((wave - w) // (n + 1) + 1, w - (n + 1) + (wave - w) % (n + 1))
        assert divmod(int(members[0]), w) == first


def _arm(n: int, l_bias: int = 0) -> tuple[FixedPointArm, object]:
    arch = small_arch(n_ctx_rowcol=n, layers_arm=(8, 8))
    return FixedPointArm(arch, random_arm(np.random.default_rng(n), arch, l_bias=l_bias)), arch


@pytest.mark.parametrize("n", [1, 2, 3])
def test_joint_decode_of_grids_of_many_shapes(n: int) -> None:
    rng = np.random.default_rng(10 + n)
    arm, _ = _arm(n)
    grids = [np.round(rng.laplace(0, 3, s)).astype(np.int32) for s in SHAPES]
    grids = [g if g.any() else g + 1 for g in grids]
    ac_max = max(int(np.abs(g).max()) for g in grids) + 2
    streams = [encode_grid(g, arm, n, ac_max) for g in grids]
    decoded = decode_grids(streams, [g.shape for g in grids], arm, n, ac_max)
    for g, d in zip(grids, decoded):
        assert d.dtype == np.int32 and np.array_equal(g, d)


def test_zero_scale_symbols_round_trip_when_allowed() -> None:
    rng = np.random.default_rng(20)
    arm, _ = _arm(2, l_bias=2000)  # l ≈ 2000/128·64 = 1000 >= 710: coder scale 0
    grid = np.round(rng.laplace(0, 1, (9, 11))).astype(np.int32)
    grid[0, 0] = 3
    _, scale128 = arm.predict_grid(grid, 2)
    assert not scale128.any()
    with pytest.raises(ValueError, match="scale 0"):
        encode_grid(grid, arm, 2, 5)
    stream = encode_grid(grid, arm, 2, 5, allow_zero_scale=True)
    assert np.array_equal(decode_grids([stream], [grid.shape], arm, 2, 5)[0], grid)


def test_unread_words_are_detected() -> None:
    """Words the decoder never reads are rejected. (One word appended to a stream whose
    encoder did not emit the final zero word is read into the decoder's point and cannot be
    told apart through constriction's API; the byte-exact re-encoding tests cover that.)"""
    arm, _ = _arm(2)
    grid = np.arange(20, dtype=np.int32).reshape(4, 5) % 3
    stream = encode_grid(grid, arm, 2, 4)
    assert np.array_equal(decode_grids([stream], [grid.shape], arm, 2, 4)[0], grid)
    with pytest.raises(CorruptDataError, match="left"):
        decode_grids([stream + bytes(range(8))], [grid.shape], arm, 2, 4)
