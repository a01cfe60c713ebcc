"""A stack of dense layers run column-chunk by column-chunk, with a hand-written backward.

Both the ARM (:mod:`coolchic.training.arm_rate`) and the synthesis' leading 1x1 convs
(:mod:`coolchic.training.pointwise`) are small MLPs applied to hundreds of thousands of
columns. Run as whole-image tensors, every hidden activation makes a round trip through
main memory, several times in the backward pass. Run on chunks of a few thousand columns,
the activations stay in the CPU cache; the backward recomputes them instead of storing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class DenseStack:
    """Layers ``x -> relu?(W_k x + b_k)``, each run as one matmul ``[W_k | b_k] @ [x; 1]``.

    Inputs and hidden activations carry a last row of ones, so that a layer is a single
    matmul with no separate pass to add the bias, and its weight and bias gradients are one
    matmul too (measured on the synthesis' 7 -> 40 layer, 16 384 columns, 2 threads:
    forward 251 -> 166 us, gradients 603 -> 278 us).
    """

    weights: list[Tensor]
    """``[out_k, in_k + 1]`` each: the effective weight (residual folded: ``W + I``) and the
    bias as last column, detached."""
    relu: list[bool]
    """Whether layer ``k`` is followed by a ReLU."""

    @classmethod
    def from_layers(cls, layers: list[tuple[Tensor, Tensor, bool, bool]]) -> DenseStack:
        """``(weight [out, in], bias [out], residual, relu)`` per layer."""
        weights, relu = [], []
        for weight, bias, residual, has_relu in layers:
            w = weight.detach()
            if residual:
                w = w + torch.eye(w.shape[0], dtype=w.dtype, device=w.device)
            weights.append(torch.cat([w, bias.detach()[:, None]], dim=1))
            relu.append(has_relu)
        return cls(weights, relu)

    def input_buffer(self, n: int, like: Tensor) -> Tensor:
        """An input ``[in_0 + 1, n]`` whose last row is ones; the caller fills the rest."""
        x = like.new_empty((self.weights[0].shape[1], n))
        x[-1].fill_(1.0)
        return x

    def zero_grads(self) -> list[Tensor]:
        """Zeroed gradient accumulators, one ``[out_k, in_k + 1]`` (weight, then bias column) per layer."""
        return [torch.zeros_like(w) for w in self.weights]

    def forward(self, x: Tensor) -> list[Tensor]:
        """All activations of ``x [in_0 + 1, n]`` (from :meth:`input_buffer`): ``[x, a_1, ..., a_L]``.

        Hidden activations have a ones row appended; the output ``a_L`` does not.
        """
        acts = [x]
        last = len(self.weights) - 1
        for k, (weight, relu) in enumerate(zip(self.weights, self.relu)):
            rows = weight.shape[0]
            if k < last:
                y = x.new_empty((rows + 1, x.shape[1]))
                y[rows].fill_(1.0)
                torch.mm(weight, acts[-1], out=y[:rows])
            else:
                y = torch.mm(weight, acts[-1])
            if relu:
                y[:rows].relu_()
            acts.append(y)
        return acts

    def backward(self, acts: list[Tensor], grad: Tensor, grads: list[Tensor]) -> Tensor:
        """d(loss)/dx ``[in_0, n]`` from d(loss)/d(output) ``grad``; parameter gradients added to ``grads``."""
        incoming = grad
        for k in range(len(self.weights) - 1, -1, -1):
            weight = self.weights[k]
            if self.relu[k]:
                act = acts[k + 1][: weight.shape[0]]
                if grad is incoming:
                    grad = torch.ops.aten.threshold_backward(grad, act, 0.0)
                else:  # a matmul result of this pass: overwrite it
                    torch.ops.aten.threshold_backward.grad_input(grad, act, 0.0, grad_input=grad)
            add_weight_grad(grads[k], grad, acts[k])
            grad = weight[:, :-1].t() @ grad
        return grad


MIN_SPLIT_COLUMNS = 4096
"""Columns per thread below which :func:`add_weight_grad` runs one matmul."""


def add_weight_grad(acc: Tensor, grad: Tensor, x: Tensor) -> None:
    """``acc += grad @ x.T`` (``grad [r, n]``, ``x [c, n]``), the sum over the ``n`` columns
    split into one batch per torch thread on a CPU.

    A matmul of ``[24, 65 280] @ [65 280, 25]`` is one long reduction, which the CPU's BLAS
    runs almost serially: 0.84 ms with 2 threads, against 0.54 ms as a ``bmm`` of two halves
    and a sum of the two partial products (1 thread: 1.05 and 1.01 ms).
    """
    parts = torch.get_num_threads()
    n = grad.shape[1]
    size = n // parts
    if x.device.type != "cpu" or parts < 2 or size < MIN_SPLIT_COLUMNS:
        acc.addmm_(grad, x.t())
        return
    split = size * parts
    partial = torch.bmm(
        grad[:, :split].view(grad.shape[0], parts, size).transpose(0, 1),
        x[:, :split].view(x.shape[0], parts, size).permute(1, 2, 0),
    )
    acc += partial.sum(0)
    if split < n:
        acc.addmm_(grad[:, split:], x[:, split:].t())


def parameter_grads(grads: list[Tensor]) -> list[Tensor]:
    """``[weight_0, bias_0, weight_1, ...]`` gradients from :meth:`DenseStack.zero_grads` accumulators."""
    return [g for grad in grads for g in (grad[:, :-1].contiguous(), grad[:, -1].contiguous())]
