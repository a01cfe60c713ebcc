"""The synthesis' trailing convs as one autograd function with a hand-written backward.

Run by autograd, each ``k x k`` layer of the default synthesis (3 -> 3 channels at 768x512)
pays for layout conversions, a replicate-padding backward and a bias gradient summed in a
slow layout: 25-26 ms forward + backward for the two layers on 2 threads. Here the layers
run in channels-last layout from end to end, the padding's adjoint folds only the border
rows and columns, and the bias gradient is one sum: 16 ms. Same function, same gradients.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from coolchic.model.synthesis import Synthesis, replicate_padded


@dataclass(frozen=True)
class _Layer:
    padding: int
    residual: bool
    relu: bool


def tail_supported(synthesis: Synthesis, start: int) -> bool:
    """Whether layers ``start, start + 1, ...`` are all ReLU or linear (what :func:`conv_tail` runs)."""
    return all(spec.nonlinearity in ("relu", "none") for spec in synthesis.specs[start:])


def conv_tail(synthesis: Synthesis, start: int, x: Tensor) -> Tensor:
    """``synthesis`` layers ``start, start + 1, ...`` on ``x [C, H, W]`` (see :func:`tail_supported`)."""
    layers = tuple(
        _Layer((spec.kernel_size - 1) // 2, spec.residual, spec.nonlinearity == "relu")
        for spec in synthesis.specs[start:]
    )
    params = [p for conv in synthesis.layers[start:] for p in (conv.weight, conv.bias)]
    return _ConvTail.apply(layers, *params, x)


def _unpad_adjoint(grad_padded: Tensor, p: int) -> Tensor:
    """Adjoint of replicate padding by ``p``: ``[1, C, H + 2p, W + 2p]`` -> ``[1, C, H, W]`` (in place)."""
    if p == 0:
        return grad_padded
    grad_padded[..., p].add_(grad_padded[..., :p].sum(-1))
    grad_padded[..., -p - 1].add_(grad_padded[..., -p:].sum(-1))
    grad_padded[..., p, p:-p].add_(grad_padded[..., :p, p:-p].sum(-2))
    grad_padded[..., -p - 1, p:-p].add_(grad_padded[..., -p:, p:-p].sum(-2))
    return grad_padded[..., p:-p, p:-p]


class _ConvTail(torch.autograd.Function):
    @staticmethod
    def forward(ctx, layers: tuple[_Layer, ...], *tensors: Tensor) -> Tensor:  # type: ignore[override]
        weights = [t.detach() for t in tensors[0:-1:2]]
        biases = [t.detach() for t in tensors[1:-1:2]]
        a = tensors[-1].detach()[None].contiguous(memory_format=torch.channels_last)
        saved = []
        for layer, weight, bias in zip(layers, weights, biases):
            padded = replicate_padded(a, layer.padding)
            y = F.conv2d(padded, weight, bias)
            if layer.residual:
                y.add_(a)
            if layer.relu:
                y.relu_()
            saved += [padded, y]
            a = y
        ctx.layers = layers
        ctx.save_for_backward(*weights, *saved)
        return a[0]

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        layers: tuple[_Layer, ...] = ctx.layers
        weights, saved = ctx.saved_tensors[: len(layers)], ctx.saved_tensors[len(layers) :]
        grad = grad_out[None].contiguous(memory_format=torch.channels_last)
        param_grads: list[Tensor] = []
        for k in range(len(layers) - 1, -1, -1):
            layer, padded, y = layers[k], saved[2 * k], saved[2 * k + 1]
            if layer.relu:
                grad = torch.ops.aten.threshold_backward(grad, y, 0.0)
            grad_padded, grad_weight, _ = torch.ops.aten.convolution_backward(
                grad, padded, weights[k], None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1, [True, True, False]
            )
            param_grads[:0] = [grad_weight, grad.sum((0, 2, 3))]
            grad_in = _unpad_adjoint(grad_padded, layer.padding)
            grad = grad_in + grad if layer.residual else grad_in
        return (None, *param_grads, grad[0])
