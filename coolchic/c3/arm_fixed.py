"""Fixed-point auto-regressive model (FPFM = 64) of Cool-chic 3.0 (spec §3.2, §5.5). No torch.

Integer semantics: ``W = round_even(w·64)``, ``B = round_even(b·4096)``, input ``a = 64·x``,
each layer ``acc = W·a + B (+ 64·a if residual)``, ``a' = floor((acc + 32) / 64)``, ReLU after
hidden layers. Outputs ``m = μ·64`` and ``l = log_scale·64``; coder scale·128 = ``n(l)``.

Speed: every quantity is an integer. Sums and products of integers are exact in float BLAS,
whatever the summation order, while every partial sum stays below 2**53 (float64) or 2**24
(float32). :meth:`FixedPointArm.evaluator` proves such bounds from the actual weights and the
input range (each partial sum is at most the sum of the absolute values of its terms) and
returns a float evaluator when float64 is provably exact; otherwise int64 is used. Beyond
2**62 the model is refused (no encoder produces such networks).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from coolchic.c3.frame import ARM_Q_STEPS, Architecture, QuantizedParams, arm_param_shapes
from coolchic.c3.tables import L_MAX, L_MIN, coder_scale128, log_scale_table
from coolchic.errors import UnsupportedError

FPFM = 64
FLOAT32_EXACT = 2**24
FLOAT64_EXACT = 2**53
INT64_LIMIT = 2**62
PREDICT_CHUNK = 16384
"""Rows per batch when evaluating many contexts (keeps temporaries in cache)."""


def context_offsets(n_ctx_rowcol: int) -> list[tuple[int, int]]:
    """(dy, dx) of the causal context positions, in ARM input order (spec §3.2)."""
    n = n_ctx_rowcol
    window = [(dy, dx) for dy in range(-n, n + 1) for dx in range(-n, n + 1)]
    return window[: ((2 * n + 1) ** 2 - 1) // 2]


def grid_contexts(
    grid: np.ndarray, n_ctx_rowcol: int, rows: slice | None = None, dtype: type = np.int64
) -> np.ndarray:
    """Contexts ``[h*w, n_ctx]`` (raster order) of a 2-D grid with zero padding.

    ``rows`` restricts the output to a range of grid rows (for chunked evaluation).
    """
    grid = np.asarray(grid)
    if grid.ndim != 2:
        raise ValueError("grid must be a 2-D array")
    h, w = grid.shape
    n = n_ctx_rowcol
    r0, r1, _ = (rows or slice(0, h)).indices(h)
    top = max(r0 - n, 0)  # rows above the chunk are context too; above row 0 read zeros
    padded = np.zeros((r1 - r0 + n, w + 2 * n), dtype=dtype)
    padded[n - (r0 - top) :, n : n + w] = grid[top:r1]
    offsets = context_offsets(n)
    out = np.empty((r1 - r0, w, len(offsets)), dtype=dtype)
    for j, (dy, dx) in enumerate(offsets):
        out[:, :, j] = padded[n + dy : n + dy + r1 - r0, n + dx : n + dx + w]
    return out.reshape((r1 - r0) * w, len(offsets))


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

    def layer_bounds(self, max_abs_input: int) -> list[int]:
        """Per layer, a bound on |every partial sum| of ``W·a`` and on |W·a + B + 32|
        (residual included) for contexts of magnitude <= max_abs_input.

        Layer 0 sees signed inputs: sum of |terms|. Later layers see ReLU outputs, which are
        >= 0 and bounded per feature: the positive and negative weights then give partial
        sums in [-sum W⁻·u, sum W⁺·u], whatever the summation order.
        """
        bounds = []
        upper: list[int] | None = None  # per-feature bound of the (non-negative) inputs
        for weight_t, bias in self._layers:
            cols = [[int(v) for v in weight_t[:, i]] for i in range(weight_t.shape[1])]
            row_bounds, out_upper = [], []
            for col, b in zip(cols, (int(v) for v in bias)):
                if upper is None:
                    pos = neg = sum(abs(w) for w in col) * FPFM * max_abs_input
                else:
                    pos = sum(w * u for w, u in zip(col, upper) if w > 0)
                    neg = -sum(w * u for w, u in zip(col, upper) if w < 0)
                row_bounds.append(max(pos, neg) + abs(b) + FPFM // 2)
                out_upper.append(max(0, (pos + b + FPFM // 2) // FPFM))
            bounds.append(max(row_bounds, default=0))
            upper = out_upper
        return bounds

    def evaluator(self, max_abs_input: int) -> FloatEvaluator | None:
        """Exact float evaluator for contexts of magnitude <= max_abs_input, or None when
        float64 is not provably exact (then use the int64 path).

        Raises UnsupportedError if even int64 could overflow.
        """
        bounds = self.layer_bounds(max_abs_input)
        worst = max(bounds) + FPFM * -L_MIN  # the evaluator adds -L_MIN·64 to the l output
        if worst >= INT64_LIMIT:
            raise UnsupportedError("ARM weights too large for 64-bit fixed-point evaluation")
        if worst >= FLOAT64_EXACT:
            return None
        return FloatEvaluator(self._layers, bounds)

    def predict(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(μ·64, coder scale·128) as int64 for integer contexts ``[n, n_ctx]``."""
        contexts = np.asarray(contexts)
        if contexts.ndim != 2 or contexts.shape[1] != self.n_ctx:
            raise ValueError(f"contexts must have shape [n, {self.n_ctx}]")
        if not np.issubdtype(contexts.dtype, np.integer):
            raise ValueError("contexts must be integers")
        if not contexts.size:
            return np.zeros(len(contexts), np.int64), np.zeros(len(contexts), np.int64)
        max_abs = max(abs(int(contexts.max())), abs(int(contexts.min())))
        evaluator = self.evaluator(max_abs)
        if evaluator is None:
            m, l_out = self.forward_int(contexts.astype(np.int64))
            return m, coder_scale128(l_out)
        m_parts, l_parts = [], []
        for start in range(0, len(contexts), PREDICT_CHUNK):
            m, l_index = evaluator(contexts[start : start + PREDICT_CHUNK].astype(np.float64))
            m_parts.append(m.astype(np.int64))
            l_parts.append(l_index)
        return np.concatenate(m_parts), log_scale_table()[np.concatenate(l_parts)]

    def predict_grid(self, grid: np.ndarray, n_ctx_rowcol: int) -> tuple[np.ndarray, np.ndarray]:
        """(μ·64, coder scale·128) int64 of every position of a fully known 2-D integer grid,
        raster order: what the decoder will use for each latent (zero padding)."""
        grid = np.asarray(grid)
        h, w = grid.shape
        max_abs = max(abs(int(grid.max(initial=0))), abs(int(grid.min(initial=0))))
        evaluator = self.evaluator(max_abs)
        if evaluator is None:
            m, l_out = self.forward_int(grid_contexts(grid, n_ctx_rowcol))
            return m, coder_scale128(l_out)
        rows_per_chunk = max(1, PREDICT_CHUNK // max(w, 1))
        m_parts, l_parts = [], []
        for r0 in range(0, h, rows_per_chunk):
            rows = slice(r0, r0 + rows_per_chunk)
            m, l_index = evaluator(grid_contexts(grid, n_ctx_rowcol, rows, np.float32))
            m_parts.append(m.astype(np.int64))
            l_parts.append(l_index)
        return np.concatenate(m_parts), log_scale_table()[np.concatenate(l_parts)]

    def forward_int(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reference int64 evaluation: (m, l) for int64 contexts (no range check)."""
        a = x * FPFM
        for k, (weight_t, bias) in enumerate(self._layers):
            a = (a @ weight_t + bias + FPFM // 2) // FPFM  # floor division
            if k < len(self._layers) - 1:
                np.maximum(a, 0, out=a)
        return a[:, 0], a[:, 1]


@dataclass(frozen=True)
class _FloatLayer:
    w32: np.ndarray
    b32: np.ndarray
    w64: np.ndarray
    b64: np.ndarray
    row_abs: int
    """max over outputs of sum |W'| (W' = integer weight with the input scaling folded in)."""
    bias_abs: int
    """max |B'| (B' = integer bias + 32, plus the l offset on the output layer)."""
    always_f32: bool
    """The static bound proves float32 exact for this layer."""


class FloatEvaluator:
    """Exact evaluation of the fixed-point ARM with float BLAS.

    A layer runs in float32 when its integer partial sums are provably below 2**24
    (statically, or for the current batch from its largest input), else in float64 (the
    caller proved 2**53). Folded into the weights: input ×64 (layer 0), the final /64 (a
    power of two: the float sums are the integer sums scaled by 2**-6, still exact), the
    rounding offset +32 and the offset -L_MIN on the l output, so that ``floor`` of a matmul
    gives the next activation and l directly indexes the log-scale table. Hidden layers carry
    an extra constant-1 column so that later biases are added inside the matmul.
    """

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], bounds: list[int]) -> None:
        self._layers: list[_FloatLayer] = []
        last = len(layers) - 1
        for k, ((weight_t, bias), bound) in enumerate(zip(layers, bounds)):
            w = weight_t * (FPFM if k == 0 else 1)
            b = bias + FPFM // 2
            if k == last:
                b = b + np.array([0, -L_MIN * FPFM], dtype=np.int64)
            row_abs = int(np.abs(w).sum(axis=0, dtype=object).max(initial=0))
            bias_abs = int(np.abs(b).max(initial=0))
            always_f32 = bound + FPFM * -L_MIN < FLOAT32_EXACT
            if k < last:  # hidden layers also output a constant-1 column ...
                w = np.concatenate([w, np.zeros((len(w), 1), np.int64)], axis=1)
                b = np.append(b, FPFM)
            if k > 0:  # ... that carries the next layer's bias through its matmul
                w = np.concatenate([w, b[None, :]], axis=0)
                b = np.zeros_like(b)
            # Entries too large for float32 only ever meet zero inputs when f32 is chosen.
            w_s, b_s = w.astype(np.float64) / FPFM, b.astype(np.float64) / FPFM
            self._layers.append(
                _FloatLayer(w_s.astype(np.float32), b_s.astype(np.float32), w_s, b_s,
                            row_abs, bias_abs, always_f32)
            )

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(m, l - L_MIN clipped to the table) for a float batch of integer contexts.

        ``m`` is float (integer-valued), the second output an intp index.
        """
        a = x
        last = len(self._layers) - 1
        for k, layer in enumerate(self._layers):
            if layer.always_f32 or self._fits_f32(layer, a, signed=k == 0):
                acc = a.astype(np.float32, copy=False) @ layer.w32
                if k == 0:
                    acc += layer.b32
            else:
                acc = a.astype(np.float64, copy=False) @ layer.w64
                if k == 0:
                    acc += layer.b64
            np.floor(acc, out=acc)
            if k < last:
                np.maximum(acc, 0.0, out=acc)
            a = acc
        l_index = a[:, 1].astype(np.intp)
        np.maximum(l_index, 0, out=l_index)
        np.minimum(l_index, L_MAX - L_MIN, out=l_index)
        return a[:, 0], l_index

    @staticmethod
    def _fits_f32(layer: _FloatLayer, a: np.ndarray, signed: bool) -> bool:
        biggest = float(np.abs(a).max()) if signed else float(a.max())
        return biggest * layer.row_abs + layer.bias_abs < FLOAT32_EXACT


@functools.cache
def _float_scale_table() -> np.ndarray:
    return log_scale_table().astype(np.float64) / 128


def coder_scale_from_index(l_index: np.ndarray) -> np.ndarray:
    """Coder scale (float64, exact multiple of 1/128) for log-scale table indices."""
    return _float_scale_table()[l_index]
