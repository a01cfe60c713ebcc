"""Total Laplace rate of the latents under the float ARM, fused and chunked (training speed).

Mathematically ``laplace_bits(y, *arm(all_contexts(ys))).sum()`` (spec §3.2, §4.1), but the
ARM MLP and the rate run on slabs of a few grid rows so that every activation stays in the
CPU cache, and nothing of size ``[n_ctx, n_latents]`` is ever stored. The loss is linear in
the rate, so when gradients are needed the forward pass computes them at once, slab by
slab, and the backward pass only scales them by the incoming scalar gradient.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from coolchic.model.arm import LOG_SCALE_MAX, LOG_SCALE_MIN, Arm, ResidualLinear
from coolchic.training.dense_stack import DenseStack, parameter_grads
from coolchic.training.rate import LATENT_MIN_PROBA

SLAB_POSITIONS = 32768
"""Latents per slab and torch thread: rows of a grid are grouped until a slab holds about
this many. Measured at 768x512 (ARM rate forward + backward): 1 thread 105.5 ms at 16 384,
106.1 ms at 32 768, 112.4 ms at 65 536; 2 threads 85 ms at 16 384, 66 ms at 65 536
(smaller element-wise ops are not split between threads). Cache blocking is a CPU concern:
on a GPU each grid is one slab (fewer kernel launches)."""

_LN2 = math.log(2.0)


def _laplace_slab(y: Tensor, mu: Tensor, log_scale: Tensor, grads: bool) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """Sum of bits of one slab and, if ``grads``, d(bits)/dy and d(bits)/d[mu; log_scale] ``[2, n]``."""
    clamped = log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
    inv_scale = torch.exp(0.5 * clamped)
    upper = y - mu + 0.5
    lower = upper - 1.0
    em1_upper = torch.expm1(upper.abs().mul_(inv_scale).neg_())
    em1_lower = torch.expm1(lower.abs().mul_(inv_scale).neg_())
    # F(t) = 0.5 - 0.5 sign(t) expm1(-|t|/s): the 0.5 terms cancel in F(upper) - F(lower).
    p = (torch.sign(lower) * em1_lower).sub_(torch.sign(upper) * em1_upper).mul_(0.5)
    p_clamped = p.clamp_min(LATENT_MIN_PROBA)
    bits = torch.log2(p_clamped).sum().neg_()
    if not grads:
        return bits, None, None
    # d(bits)/dp = -1 / (p ln 2) where p is not clamped; f(t) = exp(-|t|/s) / (2s) is the pdf.
    d_p = torch.where(p >= LATENT_MIN_PROBA, p_clamped.reciprocal().mul_(-1.0 / _LN2), 0.0)
    half_inv = 0.5 * inv_scale
    f_upper = (em1_upper + 1.0).mul_(half_inv)
    f_lower = (em1_lower + 1.0).mul_(half_inv)
    grad_y = (f_upper - f_lower).mul_(d_p)
    grad_out = torch.empty((2, y.numel()), dtype=y.dtype, device=y.device)
    torch.neg(grad_y, out=grad_out[0])
    # dp/dlog_scale = dp/ds * ds/dlog_scale = 0.5 (u f(u) - l f(l)) inside the clamp range.
    in_range = (log_scale >= LOG_SCALE_MIN) & (log_scale <= LOG_SCALE_MAX)
    d_ls = (upper * f_upper).sub_(lower * f_lower).mul_(d_p).mul_(0.5)
    torch.mul(d_ls, in_range, out=grad_out[1])
    return bits, grad_y, grad_out


def _stack(arm: Arm) -> DenseStack:
    """The ARM's layers as a :class:`DenseStack` (ReLU after every hidden layer)."""
    linears = [m for m in arm.mlp if isinstance(m, nn.Linear)]
    last = len(linears) - 1
    return DenseStack.from_layers(
        [(m.weight, m.bias, isinstance(m, ResidualLinear), k < last) for k, m in enumerate(linears)]
    )


def _slabs(height: int, width: int, device: torch.device) -> list[tuple[int, int]]:
    if device.type != "cpu":
        return [(0, height)]
    rows = max(1, SLAB_POSITIONS * torch.get_num_threads() // max(1, width))
    return [(r, min(height, r + rows)) for r in range(0, height, rows)]


def _gather(stack: DenseStack, slab: Tensor, n: int, rows: int, w: int) -> Tensor:
    """Contexts of the slab's last ``rows`` rows (slab: ``[rows + n, w + 2n]``) as the stack's
    input ``[n_ctx + 1, rows * w]`` (last row ones)."""
    wide = 2 * n + 1
    n_ctx = n * wide + n
    out = stack.input_buffer(rows * w, slab)
    stride = slab.stride(0)
    windows = slab.as_strided((n + 1, wide, rows, w), (stride, 1, stride, 1))
    out[: n * wide].view(n, wide, rows, w).copy_(windows[:n])
    out[n * wide : n_ctx].view(n, rows, w).copy_(windows[n, :n])
    return out


def _scatter_add(grad_slab: Tensor, grad_contexts: Tensor, n: int, rows: int, w: int) -> None:
    """Adjoint of :func:`_gather`: add each context's gradient at its window of ``grad_slab``."""
    grads = grad_contexts.view(-1, rows, w)
    j = 0
    for dy in range(n + 1):
        for dx in range(2 * n + 1 if dy < n else n):
            grad_slab[dy : dy + rows, dx : dx + w].add_(grads[j])
            j += 1


def _grid_rate(
    stack: DenseStack, n: int, y: Tensor, grads: bool, param_grads: list[Tensor]
) -> tuple[Tensor, Tensor | None]:
    """Bits of one grid ``[c, h, w]`` and, if ``grads``, d(bits)/dy (ARM gradients accumulated)."""
    c, h, w = y.shape
    padded = F.pad(y, (n, n, n, 0))
    grad_padded = torch.zeros_like(padded) if grads else None
    grad_y = torch.empty_like(y) if grads else None
    bits = y.new_zeros(())
    for ch in range(c):
        for r0, r1 in _slabs(h, w, y.device):
            acts = stack.forward(_gather(stack, padded[ch, r0 : r1 + n], n, r1 - r0, w))
            y_slab = y[ch, r0:r1].reshape(-1)
            slab_bits, grad_y_slab, grad_out = _laplace_slab(y_slab, acts[-1][0], acts[-1][1], grads)
            bits += slab_bits
            if not grads:
                continue
            assert grad_y is not None and grad_padded is not None and grad_out is not None
            grad_y[ch, r0:r1].copy_(grad_y_slab.view(r1 - r0, w))
            grad_contexts = stack.backward(acts, grad_out, param_grads)
            _scatter_add(grad_padded[ch, r0 : r1 + n], grad_contexts, n, r1 - r0, w)
    if grad_y is not None and grad_padded is not None:
        grad_y += grad_padded[:, n:, n : n + w]
    return bits, grad_y


class _ArmRate(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx, stack: DenseStack, n: int, grads: bool, *tensors: Tensor
    ) -> Tensor:
        grids = tensors[2 * len(stack.weights) :]
        stack_grads = stack.zero_grads()
        total = grids[0].new_zeros(())
        grid_grads = []
        for y in grids:
            if y.numel() == 0:
                grid_grads.append(torch.zeros_like(y))
                continue
            bits, grad = _grid_rate(stack, n, y.detach(), grads, stack_grads)
            total += bits
            grid_grads.append(grad)
        if grads:
            ctx.saved = parameter_grads(stack_grads) + grid_grads
        return total

    @staticmethod
    def backward(ctx, grad_bits: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        return (None, None, None, *(g * grad_bits for g in ctx.saved))


def arm_rate(arm: Arm, latents: list[Tensor], n_ctx_rowcol: int) -> Tensor:
    """Total bits of the integer-valued latent grids ``[c_i, h_i, w_i]`` under ``arm``."""
    params = [p for layer in arm.mlp if isinstance(layer, nn.Linear) for p in (layer.weight, layer.bias)]
    grads = torch.is_grad_enabled() and any(t.requires_grad for t in (*params, *latents))
    return _ArmRate.apply(_stack(arm), n_ctx_rowcol, grads, *params, *latents)
