"""Rate estimates: Laplace bits of latents (spec §4.1) and of NN parameters (spec §4.6)."""

from __future__ import annotations

import math

import torch
from torch import Tensor

LATENT_MIN_PROBA = 2.0**-16
NN_MIN_PROBA = 2.0**-32


def laplace_bits(y: Tensor, mu: Tensor, scale: Tensor, min_proba: float = LATENT_MIN_PROBA) -> Tensor:
    """Per-symbol bits ``-log2(max(F(y+0.5) - F(y-0.5), min_proba))`` for a Laplace(mu, scale)."""
    d = y - mu
    upper = d + 0.5
    lower = d - 0.5
    # F(t) = 0.5 - 0.5 sign(t) expm1(-|t|/s): the 0.5 terms cancel in the difference.
    p = 0.5 * (torch.sign(lower) * torch.expm1(-lower.abs() / scale) - torch.sign(upper) * torch.expm1(-upper.abs() / scale))
    return -torch.log2(p.clamp_min(min_proba))


def nn_bits(symbols: Tensor) -> float:
    """Bits of integer NN symbols under Laplace(0, max(std/sqrt(2), 1/1024)) (unbiased std)."""
    values = symbols.double().flatten()
    if values.numel() == 0:
        return 0.0
    std = values.std().item() if values.numel() > 1 else 0.0
    scale = torch.tensor(max(std / math.sqrt(2.0), 1.0 / 1024.0), dtype=torch.float64)
    return float(laplace_bits(values, torch.zeros_like(values), scale, NN_MIN_PROBA).sum())
