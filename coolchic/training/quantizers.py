"""Latent quantisation proxies (spec §4.2): soft-round, Kumaraswamy noise, STE."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def soft_round(x: Tensor, temperature: float) -> Tensor:
    """``floor(x) + 0.5 * tanh((x - floor(x) - 0.5) / T) / tanh(1 / (2T)) + 0.5``."""
    floor = torch.floor(x)
    frac = x - floor - 0.5
    return floor + torch.tanh(frac / temperature) * (0.5 / math.tanh(0.5 / temperature)) + 0.5


def _soft_round_slope(temperature: float) -> float:
    """``0.5 / (T tanh(0.5 / T))``: d soft_round / dx is this times ``1 - tanh(...)^2``."""
    return 0.5 / (temperature * math.tanh(0.5 / temperature))


def kumaraswamy_noise(like: Tensor, a: float, generator: torch.Generator | None) -> Tensor:
    """Noise in [-0.5, 0.5) with Kumaraswamy(a, b) law, b such that the mode is 0.5."""
    u = torch.rand(like.shape, generator=generator, device=like.device, dtype=like.dtype)
    b = (2.0**a * (a - 1.0) + 1.0) / a
    if a == 1.0 and b == 1.0:
        return u.sub_(0.5)
    # In place on the fresh draw (training hot path): (1 - (1 - u)^(1/b))^(1/a) - 0.5.
    return u.neg_().add_(1.0).pow_(1.0 / b).neg_().add_(1.0).pow_(1.0 / a).sub_(0.5)


def noise_quantize(x: Tensor, temperature: float, a: float, generator: torch.Generator | None) -> Tensor:
    """Training proxy of the non-STE phases: ``sr(sr(x, T) + noise, T)``.

    The same values as :func:`soft_round` composed with :func:`kumaraswamy_noise`, as one
    autograd function: its backward is a single product with the saved derivative instead of
    autograd's dozen element-wise passes (training speed).
    """
    return _NoiseQuantize.apply(x, temperature, kumaraswamy_noise(x, a, generator))


def _soft_round_(x: Tensor, temperature: float) -> tuple[Tensor, Tensor]:
    """``(soft_round(x, T), tanh((x - floor(x) - 0.5) / T))``, overwriting ``x``."""
    floor = torch.floor(x)
    th = x.sub_(floor).sub_(0.5).div_(temperature).tanh_()
    out = th.mul(0.5 / math.tanh(0.5 / temperature)).add_(floor).add_(0.5)
    return out, th


class _NoiseQuantize(torch.autograd.Function):
    """``sr(sr(x, T) + noise, T)``; d/dx = ``(c/T)^2 (1 - th1^2)(1 - th2^2)``, ``c = 0.5 / tanh(0.5/T)``."""

    @staticmethod
    def forward(ctx, x: Tensor, temperature: float, noise: Tensor) -> Tensor:  # type: ignore[override]
        first, th1 = _soft_round_(x.detach().clone(), temperature)
        out, th2 = _soft_round_(first.add_(noise), temperature)
        if ctx.needs_input_grad[0]:
            slope = _soft_round_slope(temperature)
            th1.mul_(th1).neg_().add_(1.0).mul_(slope)
            ctx.save_for_backward(th2.mul_(th2).neg_().add_(1.0).mul_(slope).mul_(th1))
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:  # type: ignore[override]
        (derivative,) = ctx.saved_tensors
        return grad * derivative, None, None


class _SteRound(torch.autograd.Function):
    """Forward ``round(x)``; backward the derivative of ``soft_round(x, T)``."""

    @staticmethod
    def forward(ctx, x: Tensor, temperature: float) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.temperature = temperature
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        t = ctx.temperature
        th = torch.tanh((x - torch.floor(x) - 0.5) / t)
        return grad * (1.0 - th * th) * _soft_round_slope(t), None


def ste_quantize(x: Tensor, temperature: float) -> Tensor:
    """Training proxy of the STE phases."""
    return _SteRound.apply(x, temperature)
