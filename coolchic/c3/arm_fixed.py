"""Fixed-point auto-regressive model (FPFM = 64) of Cool-chic 3.0 (spec §3.2, §5.5). No torch.

Integer semantics: ``W = round_even(w·64)``, ``B = round_even(b·4096)``, input ``a = 64·x``,
each layer ``acc = W·a + B (+ 64·a if residual)``, ``a' = floor((acc + 32) / 64)``, ReLU after
hidden layers. Outputs ``m = μ·64`` and ``l = log_scale·64``; coder scale·128 = ``n(l)``.

Speed: every quantity is an integer. Sums and products of integers are exact in float64 BLAS,
whatever the summation order, while every partial sum stays below 2**53. The constructor
proves such a bound from the actual weights and the input range (each partial sum is at most
the sum of absolute values of its terms) and uses float64 matmuls when it holds, int64
otherwise. Beyond 2**62 the model is refused (no encoder produces such networks).
"""

from __future__ import annotations

import functools

import numpy as np

from coolchic.c3.frame import ARM_Q_STEPS, Architecture, QuantizedParams, arm_param_shapes
from coolchic.c3.tables import L_MAX, L_MIN, coder_scale128, log_scale_table
from coolchic.errors import UnsupportedError

FPFM = 64
FLOAT_EXACT_LIMIT = 2**53
INT64_LIMIT = 2**62


def context_offsets(n_ctx_rowcol: int) -> list[tuple[int, int]]:
    """(dy, dx) of the causal context positions, in ARM input order (spec §3.2)."""
    n = n_ctx_rowcol
    window = [(dy, dx) for dy in range(-n, n + 1) for dx in range(-n, n + 1)]
    return window[: ((2 * n + 1) ** 2 - 1) // 2]


def grid_contexts(grid: np.ndarray, n_ctx_rowcol: int) -> np.ndarray:
    """Contexts ``[h*w, n_ctx]`` (int64, raster order) of a 2-D grid with zero padding."""
    grid = np.asarray(grid)
    if grid.ndim != 2:
        raise ValueError("grid must be a 2-D array")
    h, w = grid.shape
    n = n_ctx_rowcol
    padded = np.zeros((h + n, w + 2 * n), dtype=np.int64)
    padded[n:, n : n + w] = grid
    columns = [padded[n + dy : n + dy + h, n + dx : n + dx + w] for dy, dx in context_offsets(n)]
    if not columns:
        return np.zeros((h * w, 0), dtype=np.int64)
    return np.stack(columns, axis=-1).reshape(h * w, len(columns))


class FixedPointArm:
    """The bit-exact integer ARM built from decoded (integer) ARM parameters."""

    def __init__(self, arch: Architecture, arm: QuantizedParams) -> None:
        if arm.bias_symbols is None or arm.bias_q_index is None:
            raise ValueError("arm: the ARM needs bias symbols")
        shapes = arm_param_shapes(arch)
        n_weights = sum(int(np.prod(s)) for name, s in shapes if name.endswith("weight"))
        n_biases = sum(int(np.prod(s)) for name, s in shapes if name.endswith("bias"))
        if arm.weight_symbols.size != n_weights or arm.bias_symbols.size != n_biases:
            raise ValueError("arm: number of symbols does not match the architecture")
        q_w = ARM_Q_STEPS[arm.weight_q_index]
        q_b = ARM_Q_STEPS[arm.bias_q_index]
        self.n_ctx = arch.n_ctx
        self._layers: list[tuple[np.ndarray, np.ndarray]] = []
        """Per layer: (int64 [d_in, d_out] transposed weight, int64 [d_out] bias)."""
        w_off = b_off = 0
        for k in range(len(shapes) // 2):
            d_out, d_in = shapes[2 * k][1]
            w_sym = np.asarray(arm.weight_symbols[w_off : w_off + d_out * d_in], np.float64)
            b_sym = np.asarray(arm.bias_symbols[b_off : b_off + d_out], np.float64)
            w_off, b_off = w_off + d_out * d_in, b_off + d_out
            # symbol·q is exact in f64 (and f32): q is a power of two, |symbol| < 2**24.
            weight = np.rint(w_sym * q_w * FPFM).astype(np.int64).reshape(d_out, d_in)
            bias = np.rint(b_sym * q_b * FPFM * FPFM).astype(np.int64)
            if k < len(shapes) // 2 - 1 and d_in == d_out:
                weight = weight + FPFM * np.eye(d_in, dtype=np.int64)  # residual: + 64·a
            self._layers.append((weight.T.copy(), bias))

    def _bounds(self, max_abs_input: int) -> int:
        """Upper bound of |partial sums| over all layers for inputs |x| <= max_abs_input."""
        bound_in = FPFM * max_abs_input
        worst = 0
        for k, (weight_t, bias) in enumerate(self._layers):
            abs_rows = [int(v) for v in np.abs(weight_t).sum(axis=0, dtype=object)]
            abs_bias = [abs(int(v)) + FPFM // 2 for v in bias]
            acc = max((r * bound_in + b for r, b in zip(abs_rows, abs_bias)), default=0)
            worst = max(worst, acc)
            bound_in = acc // FPFM + 1
        return worst

    def check_range(self, max_abs_input: int) -> bool:
        """True if float64 evaluation is exact for inputs of magnitude <= max_abs_input.

        Raises UnsupportedError if even int64 could overflow.
        """
        worst = self._bounds(max_abs_input)
        if worst >= INT64_LIMIT:
            raise UnsupportedError("ARM weights too large for 64-bit fixed-point evaluation")
        return worst < FLOAT_EXACT_LIMIT

    def float_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Layers for :func:`forward_float`: weights with the input ×64 folded into layer 0
        and biases with the rounding offset +32 folded in, as float64."""
        out = []
        for k, (weight_t, bias) in enumerate(self._layers):
            scale = FPFM if k == 0 else 1
            out.append(((weight_t * scale).astype(np.float64), (bias + FPFM // 2).astype(np.float64)))
        return out

    def predict(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(μ·64, coder scale·128) as int64 for integer contexts ``[n, n_ctx]``."""
        contexts = np.asarray(contexts)
        if contexts.ndim != 2 or contexts.shape[1] != self.n_ctx:
            raise ValueError(f"contexts must have shape [n, {self.n_ctx}]")
        max_abs = int(np.abs(contexts.astype(np.int64)).max(initial=0))
        if self.check_range(max_abs):
            m, l_out = forward_float(self.float_layers(), contexts.astype(np.float64))
            m, l_out = m.astype(np.int64), l_out.astype(np.int64)
        else:
            m, l_out = self._forward_int(contexts.astype(np.int64))
        return m, coder_scale128(l_out)

    def _forward_int(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = x * FPFM
        for k, (weight_t, bias) in enumerate(self._layers):
            a = (a @ weight_t + bias + FPFM // 2) // FPFM  # floor division
            if k < len(self._layers) - 1:
                np.maximum(a, 0, out=a)
        return a[:, 0], a[:, 1]


def forward_float(
    layers: list[tuple[np.ndarray, np.ndarray]], x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact fixed-point ARM on float64 integers (caller checked the 2**53 bound).

    Returns float64 integer-valued (m, l).
    """
    a = x
    last = len(layers) - 1
    for k, (weight_t, bias) in enumerate(layers):
        acc = a @ weight_t
        acc += bias
        acc *= 1.0 / FPFM
        np.floor(acc, out=acc)
        if k < last:
            np.maximum(acc, 0.0, out=acc)
        a = acc
    return a[:, 0], a[:, 1]


@functools.cache
def _float_scale_table() -> np.ndarray:
    return log_scale_table().astype(np.float64) / 128


def scale_from_log64(l_out: np.ndarray) -> np.ndarray:
    """Coder scale (float64, exact multiple of 1/128) for float64 integer ARM outputs l."""
    index = np.clip(l_out, L_MIN, L_MAX).astype(np.intp) - L_MIN
    return _float_scale_table()[index]
