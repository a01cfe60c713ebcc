"""Fixed-point ARM (spec §3.2, §5.5): context pattern, integer rounding, exact float paths."""

from __future__ import annotations

import numpy as np
import pytest
from c3_frames import naive_arm_output, random_arm, small_arch

from coolchic.c3.arm_fixed import FixedPointArm, context_offsets, grid_contexts
from coolchic.c3.frame import QuantizedParams
from coolchic.c3.tables import log_scale_table, coder_scale128
from coolchic.errors import UnsupportedError


def test_context_pattern_n3_and_n2() -> None:
    n3 = context_offsets(3)
    assert len(n3) == 24
    assert n3[:7] == [(-3, dx) for dx in range(-3, 4)]
    assert n3[14:21] == [(-1, dx) for dx in range(-3, 4)]
    assert n3[21:] == [(0, -3), (0, -2), (0, -1)]
    n2 = context_offsets(2)
    assert len(n2) == 12 and n2[10:] == [(0, -2), (0, -1)] and n2[5] == (-1, -2)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5, 7), (6, 2)])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_grid_contexts_zero_padding(shape: tuple[int, int], n: int) -> None:
    rng = np.random.default_rng(0)
    grid = rng.integers(-9, 10, shape)
    ctx = grid_contexts(grid, n)
    h, w = shape
    for r in range(h):
        for c in range(w):
            want = [
                grid[r + dy, c + dx] if 0 <= r + dy < h and 0 <= c + dx < w else 0
                for dy, dx in context_offsets(n)
            ]
            assert ctx[r * w + c].tolist() == want


def test_grid_contexts_row_chunks_match_whole_grid() -> None:
    grid = np.random.default_rng(1).integers(-5, 6, (9, 4))
    whole = grid_contexts(grid, 3)
    parts = [grid_contexts(grid, 3, slice(r, r + 2), np.float32) for r in range(0, 9, 2)]
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize(
    ("n", "layers", "q_index"), [(2, (12, 12), 0), (1, (8, 8), 1), (3, (24, 24), 2), (1, (), 3)]
)
def test_predict_matches_naive_integer_arm(n: int, layers: tuple[int, ...], q_index: int) -> None:
    rng = np.random.default_rng(n)
    arch = small_arch(n_ctx_rowcol=n, layers_arm=layers)
    # q index 0: weights sym/2 -> exact ties, rounded half to even
    arm = random_arm(rng, arch, amplitude=40, q_index=q_index, l_bias=5)
    contexts = rng.integers(-30, 31, (200, arch.n_ctx))
    mu64, scale128 = FixedPointArm(arch, arm).predict(contexts)
    for k in range(len(contexts)):
        m, l_out = naive_arm_output(arch, arm, contexts[k].tolist())
        assert mu64[k] == m
        assert scale128[k] == coder_scale128(np.array([l_out]))[0]


def test_log_scale_table_spot_values() -> None:
    spots = {-1000: 18997, -640: 18997, -639: 18849, -64: 211, 0: 128, 64: 78, 320: 11,
             640: 1, 709: 1, 710: 0, 5000: 0}
    got = coder_scale128(np.array(list(spots)))
    assert got.tolist() == list(spots.values())
    assert len(log_scale_table()) == 1526


def test_float_evaluator_equals_int64_for_small_and_large_batches() -> None:
    """Layer 0 is statically f32-exact here but later layers are checked per batch."""
    rng = np.random.default_rng(3)
    arch = small_arch(n_ctx_rowcol=2, layers_arm=(12, 12))
    arm = random_arm(rng, arch, amplitude=3000, q_index=2)
    fixed = FixedPointArm(arch, arm)
    for amplitude in (1, 50, 3000):
        contexts = rng.integers(-amplitude, amplitude + 1, (300, arch.n_ctx))
        evaluator = fixed.evaluator(amplitude)
        assert evaluator is not None
        m_f, l_index = evaluator(contexts.astype(np.float32))
        m_i, l_i = fixed.forward_int(contexts)
        assert np.array_equal(m_f.astype(np.int64), m_i)
        assert np.array_equal(log_scale_table()[l_index], coder_scale128(l_i))


def _big_arm(arch, out_amplitude: int) -> QuantizedParams:
    rng = np.random.default_rng(4)
    arm = random_arm(rng, arch, amplitude=60000, q_index=7)
    n_out_w = 2 * arch.layers_arm[-1]
    arm.weight_symbols[-n_out_w:] = rng.integers(-out_amplitude, out_amplitude + 1, n_out_w)
    return arm


def test_int64_fallback_when_float64_is_not_provably_exact() -> None:
    arch = small_arch(n_ctx_rowcol=1, layers_arm=(8,))
    arm = _big_arm(arch, 1000)
    fixed = FixedPointArm(arch, arm)
    assert fixed.evaluator(30000) is None
    contexts = np.random.default_rng(5).integers(-30000, 30001, (50, arch.n_ctx))
    mu64, scale128 = fixed.predict(contexts)
    for k in range(10):
        m, l_out = naive_arm_output(arch, arm, contexts[k].tolist())
        assert mu64[k] == m and scale128[k] == coder_scale128(np.array([l_out]))[0]


def test_refuses_arm_beyond_64_bits() -> None:
    arch = small_arch(n_ctx_rowcol=1, layers_arm=(8, 8))
    fixed = FixedPointArm(arch, _big_arm(arch, 60000))
    with pytest.raises(UnsupportedError):
        fixed.predict(np.full((1, arch.n_ctx), 30000))


def test_predict_grid_equals_predict_on_contexts() -> None:
    rng = np.random.default_rng(6)
    arch = small_arch(n_ctx_rowcol=3, layers_arm=(24, 24))
    fixed = FixedPointArm(arch, random_arm(rng, arch, amplitude=20))
    grid = rng.integers(-20, 21, (40, 37))
    a = fixed.predict_grid(grid, 3)
    b = fixed.predict(grid_contexts(grid, 3))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
