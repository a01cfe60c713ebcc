"""The synthesis' leading 1x1 convs as one cache-chunked dense stack (training speed).

At 768x512 the default synthesis' first layer writes 40 channels of 393 216 pixels (63 MB);
its ReLU, the next layer and every step of the backward pass read that tensor again. Here
the leading run of 1x1 layers (ReLU or no non-linearity) is applied to chunks of
:data:`CHUNK_COLUMNS` pixels with :class:`~coolchic.training.dense_stack.DenseStack`; the
backward recomputes each chunk's activations from the input, which is copied once (with the
stack's row of ones) and saved. Same function, same gradients.
"""

from __future__ import annotations

import torch
from torch import Tensor

from coolchic.model.synthesis import Synthesis
from coolchic.training.conv_tail import conv_tail, tail_supported
from coolchic.training.dense_stack import DenseStack, parameter_grads

CHUNK_COLUMNS = 8192
"""Pixels per chunk and torch thread. Default synthesis at 768x512, forward + backward:
1 thread 125 ms unfused, 96-97 ms fused at 2048-8192, 107 ms at 16 384; 2 threads 77 ms
unfused, 72 ms at 8192 and 16 384, 78-84 ms at 2048-4096. On a GPU the whole image is one
chunk."""


def fusable_layers(synthesis: Synthesis) -> int:
    """Length of the leading run of 1x1 layers whose non-linearity is ReLU or none."""
    count = 0
    for spec in synthesis.specs:
        if spec.kernel_size != 1 or spec.nonlinearity not in ("relu", "none"):
            break
        count += 1
    return count


def synthesis_forward(synthesis: Synthesis, x: Tensor) -> Tensor:
    """``synthesis(x)`` for ``x [C_in, H, W]``, with the leading 1x1 layers fused and the
    remaining ReLU or linear layers run by :func:`~coolchic.training.conv_tail.conv_tail`."""
    count = fusable_layers(synthesis)
    c, h, w = x.shape
    flat = x.reshape(c, h * w)
    if count:
        specs, convs = synthesis.specs[:count], synthesis.layers[:count]
        stack = DenseStack.from_layers([
            (conv.weight.reshape(spec.out_channels, -1), conv.bias, spec.residual, spec.nonlinearity == "relu")
            for spec, conv in zip(specs, convs)
        ])
        params = [p for conv in convs for p in (conv.weight, conv.bias)]
        flat = _Pointwise.apply(stack, *params, flat)
    if count == len(synthesis.specs):
        return flat.reshape(-1, h, w)
    if tail_supported(synthesis, count):
        return conv_tail(synthesis, count, flat.reshape(-1, h, w))
    return synthesis.apply_layers(flat, count, h, w)


def _chunks(n: int, device: torch.device) -> list[tuple[int, int]]:
    if device.type != "cpu":
        return [(0, n)]
    size = CHUNK_COLUMNS * torch.get_num_threads()
    return [(s, min(n, s + size)) for s in range(0, n, size)]


class _Pointwise(torch.autograd.Function):
    @staticmethod
    def forward(ctx, stack: DenseStack, *tensors: Tensor) -> Tensor:  # type: ignore[override]
        x = tensors[-1].detach()
        n = x.shape[1]
        inputs = stack.input_buffer(n, x)
        inputs[:-1].copy_(x)
        out = x.new_empty((stack.weights[-1].shape[0], n))
        for s, e in _chunks(n, x.device):
            out[:, s:e] = stack.forward(inputs[:, s:e])[-1]
        ctx.stack = stack
        ctx.shapes = [t.shape for t in tensors[:-1]]
        ctx.save_for_backward(inputs)
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        stack: DenseStack = ctx.stack
        (inputs,) = ctx.saved_tensors
        grads = stack.zero_grads()
        grad_x = inputs.new_empty((inputs.shape[0] - 1, inputs.shape[1]))
        for s, e in _chunks(inputs.shape[1], inputs.device):
            acts = stack.forward(inputs[:, s:e])
            grad_x[:, s:e] = stack.backward(acts, grad_out[:, s:e], grads)
        params = parameter_grads(grads)
        return (None, *(g.reshape(shape) for g, shape in zip(params, ctx.shapes)), grad_x)
