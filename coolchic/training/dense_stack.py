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
    """Layers ``x -> relu?(W_k x + b_k)`` with effective weights (residual folded: ``W + I``)."""

    weights: list[Tensor]
    """``[out_k, in_k]`` each, detached."""
    biases: list[Tensor]
    """``[out_k, 1]`` each, detached."""
    relu: list[bool]
    """Whether layer ``k`` is followed by a ReLU."""

    @classmethod
    def from_layers(cls, layers: list[tuple[Tensor, Tensor, bool, bool]]) -> DenseStack:
        """``(weight [out, in], bias [out], residual, relu)`` per layer."""
        weights, biases, relu = [], [], []
        for weight, bias, residual, has_relu in layers:
            w = weight.detach()
            if residual:
                w = w + torch.eye(w.shape[0], dtype=w.dtype, device=w.device)
            weights.append(w)
            biases.append(bias.detach()[:, None])
            relu.append(has_relu)
        return cls(weights, biases, relu)

    def zero_grads(self) -> tuple[list[Tensor], list[Tensor]]:
        """Zeroed accumulators for the weight ``[out, in]`` and bias ``[out]`` gradients."""
        return [torch.zeros_like(w) for w in self.weights], [torch.zeros_like(b[:, 0]) for b in self.biases]

    def forward(self, x: Tensor) -> list[Tensor]:
        """All activations of ``x [in_0, n]``: ``[x, a_1, ..., a_L]`` (``a_L`` is the output)."""
        acts = [x]
        for weight, bias, relu in zip(self.weights, self.biases, self.relu):
            y = torch.addmm(bias, weight, acts[-1])
            acts.append(y.relu_() if relu else y)
        return acts

    def backward(
        self, acts: list[Tensor], grad: Tensor, weight_grads: list[Tensor], bias_grads: list[Tensor]
    ) -> Tensor:
        """d(loss)/dx from d(loss)/d(output) ``grad``; parameter gradients added in place."""
        ones = grad.new_ones(grad.shape[1])
        for k in range(len(self.weights) - 1, -1, -1):
            if self.relu[k]:
                grad = torch.ops.aten.threshold_backward(grad, acts[k + 1], 0.0)
            weight_grads[k].addmm_(grad, acts[k].t())
            bias_grads[k].addmv_(grad, ones)
            grad = self.weights[k].t() @ grad
        return grad
