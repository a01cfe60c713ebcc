"""Stacks of shifted windows of a padded tensor, with a cheap accumulate-in-place backward.

This is the core of both the ARM context gathering and the small 3x3 synthesis convs
(im2col): ``out[j] = padded[..., oy_j : oy_j + h, ox_j : ox_j + w]``. Autograd's own
slicing would allocate one zero tensor per window in the backward pass; this function
allocates one.
"""

from __future__ import annotations

import torch
from torch import Tensor


class _ShiftedStack(torch.autograd.Function):
    @staticmethod
    def forward(ctx, padded: Tensor, offsets: tuple[tuple[int, int], ...], h: int, w: int) -> Tensor:  # type: ignore[override]
        out = padded.new_empty((len(offsets), *padded.shape[:-2], h, w))
        for j, (oy, ox) in enumerate(offsets):
            out[j].copy_(padded[..., oy : oy + h, ox : ox + w])
        ctx.padded_shape = padded.shape
        ctx.offsets, ctx.h, ctx.w = offsets, h, w
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:  # type: ignore[override]
        h, w = ctx.h, ctx.w
        grad_padded = grad.new_zeros(ctx.padded_shape)
        for j, (oy, ox) in enumerate(ctx.offsets):
            grad_padded[..., oy : oy + h, ox : ox + w].add_(grad[j])
        return grad_padded, None, None, None


def shifted_stack(padded: Tensor, offsets: tuple[tuple[int, int], ...], h: int, w: int) -> Tensor:
    """``[len(offsets), *padded.shape[:-2], h, w]``: the h x w windows at the given top-left offsets."""
    return _ShiftedStack.apply(padded, offsets, h, w)
