"""Auto-regressive probability model (spec §3.2): a small MLP on causal contexts."""

from __future__ import annotations

import torch
from torch import Tensor, nn

LOG_SCALE_MIN = -10.0
LOG_SCALE_MAX = 13.8155
FIXED_ARM_CHUNK = 4096
"""Positions per chunk of :class:`FixedPointArmTorch` (f64 activations of a chunk fit in L2)."""


class ResidualLinear(nn.Linear):
    """Marks a hidden layer that :meth:`Arm.forward` applies as ``x -> W x + b + x``."""


class Arm(nn.Module):
    """``n_ctx -> d_1 -> ... -> d_m -> 2`` with ReLU after hidden layers (``mlp.<2k>``)."""

    def __init__(self, n_ctx: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        d_in = n_ctx
        for d in hidden:
            layers += [ResidualLinear(d_in, d) if d == d_in else nn.Linear(d_in, d), nn.ReLU()]
            d_in = d
        layers.append(nn.Linear(d_in, 2))
        self.mlp = nn.Sequential(*layers)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Spec §3.6: plain layers N(0,1)/out^2, residual layers 0, biases 0."""
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                layer.bias.zero_()
                if isinstance(layer, ResidualLinear):
                    layer.weight.zero_()
                else:
                    w = torch.randn(layer.weight.shape, generator=generator)
                    layer.weight.copy_(w / layer.out_features**2)

    def forward(self, contexts: Tensor) -> tuple[Tensor, Tensor]:
        """Transposed contexts ``[n_ctx, n]`` -> ``(mu [n], scale [n])``."""
        x = contexts
        linears = [m for m in self.mlp if isinstance(m, nn.Linear)]
        for k, layer in enumerate(linears):
            y = torch.addmm(layer.bias[:, None], layer.weight, x)
            if isinstance(layer, ResidualLinear):
                y += x
            x = torch.relu_(y) if k < len(linears) - 1 else y
        return x[0], log_scale_to_scale(x[1])


def log_scale_to_scale(log_scale: Tensor) -> Tensor:
    """``exp(-0.5 * clamp(log_scale, -10, 13.8155))``."""
    return torch.exp(-0.5 * log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX))


class FixedPointArmTorch:
    """Integer (FPFM = 64) evaluation of a quantised ARM (spec §5.5) with exact f64 arithmetic.

    Same results as :class:`coolchic.c3.arm_fixed.FixedPointArm` (all values are integers far
    below 2**53) but runs as torch matmuls, on the training device, for test passes.
    """

    def __init__(self, arm: Arm) -> None:
        self.layers: list[tuple[Tensor, Tensor, bool, bool]] = []
        linears = [m for m in arm.mlp if isinstance(m, nn.Linear)]
        for k, layer in enumerate(linears):
            w = torch.round(layer.weight.detach().double() * 64)
            b = torch.round(layer.bias.detach().double() * 4096)
            self.layers.append((w, b[:, None], isinstance(layer, ResidualLinear), k < len(linears) - 1))

    @torch.no_grad()
    def __call__(self, contexts: Tensor) -> tuple[Tensor, Tensor]:
        """Integer contexts ``[n_ctx, n]`` -> ``(m, l)`` f64 integers: mu = m/64, log_scale = l/64.

        Runs on column chunks of :data:`FIXED_ARM_CHUNK` positions with in-place ops, so the
        f64 activations stay in the CPU cache (10x faster than whole-matrix ops at 768x512;
        every operation is exact, so chunking cannot change a result).
        """
        n = contexts.shape[1]
        out = torch.empty((2, n), dtype=torch.float64, device=contexts.device)
        for start in range(0, n, FIXED_ARM_CHUNK):
            a = contexts[:, start : start + FIXED_ARM_CHUNK].double().mul_(64)
            for w, b, residual, hidden in self.layers:
                acc = torch.addmm(b, w, a)
                if residual:
                    acc.add_(a, alpha=64)
                a = acc.add_(32).div_(64).floor_()
                if hidden:
                    a.relu_()
            out[:, start : start + FIXED_ARM_CHUNK] = a
        return out[0], out[1]


def coder_scale(log_scale_64: Tensor) -> Tensor:
    """Entropy-coder scale ``round_even(128 * exp(-0.5 * clamp(l/64))) / 128`` in f32 (may be 0)."""
    scale = log_scale_to_scale((log_scale_64 / 64).float())
    return torch.round(scale * 128) / 128
