"""Keep every coded latent's entropy-coder scale non-zero (spec §5.5).

A log-scale output ``l >= 710`` (in 1/64 units) gives a coder scale of exactly 0, a
degenerate Laplace that newer entropy coders refuse. After quantisation the encoder changes
the ARM's log-scale output so that no latent of a coded (non all-zero) grid has such a
scale, choosing by exact code length between two ways:

* **shift**: lower the log-scale bias symbol. Lowering it by k symbols lowers every ``l`` by
  at least ``floor(k * 4096 * q_b / 64)``, so one jump sized from the worst latent
  suffices (checked). Cheap when few latents exceed the limit by little; ruinous when the
  ARM predicts many latents almost deterministically (high λ), since every latent's scale
  grows by the same factor;
* **compress**: scale the log-scale output row (weights and bias) by ``a < 1`` about a
  low quantile of ``l`` (several are tried), which leaves the uncertain latents nearly
  unchanged and pulls the confident ones under the limit, where a larger scale costs them
  almost nothing; a final shift removes what rounding leaves.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Frame
from coolchic.model.arm import coder_scale
from coolchic.training.arm_check import latent_bits, log_scales, max_log_scale, zero_scale_count

MAX_NONZERO_L = int(
    torch.nonzero(coder_scale(torch.arange(0, 2000, dtype=torch.float64)) > 0).max()
)
"""Largest fixed-point log-scale (1/64 units) whose coder scale is not 0 (709)."""


PIVOT_QUANTILES = (0.0, 0.05, 0.25, 0.5)
"""Quantiles of the coded latents' ``l`` tried as the fixed point of the compression."""


def remove_zero_scales(frame: Frame) -> Frame:
    """A copy of ``frame`` whose ARM makes every coded latent's coder scale > 0, cheaply."""
    l_values = log_scales(frame)
    worst = int(l_values.max(initial=0))
    if worst <= MAX_NONZERO_L:
        return frame
    candidates = [_shift_bias(frame, worst)]
    for quantile in PIVOT_QUANTILES:
        compressed = _compress_log_scale(frame, float(np.quantile(l_values, quantile)), worst)
        if compressed is not None:
            candidates.append(_shift_bias(compressed))
    best = min(candidates, key=latent_bits)
    if zero_scale_count(best):  # the decoder's own integer ARM must agree
        raise RuntimeError("zero coder scales remain after their removal")
    return best


def _compress_log_scale(frame: Frame, pivot: float, worst: float) -> Frame | None:
    """``frame`` with the log-scale output row scaled by ``a`` about ``pivot`` (``l`` units)."""
    if pivot >= MAX_NONZERO_L - 64 or worst <= pivot:
        return None
    a = (MAX_NONZERO_L - 32 - pivot) / (worst - pivot)
    arm = frame.arm
    assert arm.bias_symbols is not None and arm.bias_q_index is not None
    q_b = ARM_Q_STEPS[arm.bias_q_index]
    d_last = frame.architecture.layers_arm[-1] if frame.architecture.layers_arm else frame.architecture.n_ctx
    weights = arm.weight_symbols.astype(np.int64).copy()
    weights[-d_last:] = np.rint(weights[-d_last:] * a)
    bias = arm.bias_symbols.astype(np.int64).copy()
    bias_value = bias[-1] * q_b
    bias[-1] = int(np.rint((a * bias_value + (1 - a) * pivot / 64) / q_b))
    if np.abs(bias).max() > 65535:
        return None
    return dataclasses.replace(frame, arm=dataclasses.replace(
        arm, weight_symbols=weights.astype(np.int32), bias_symbols=bias.astype(np.int32)))


def _shift_bias(frame: Frame, worst: int | None = None) -> Frame:
    """``frame`` with the log-scale bias symbol lowered until no coder scale is 0.

    ``worst`` is the frame's largest ``l`` when the caller already knows it.
    """
    arm = frame.arm
    assert arm.bias_symbols is not None and arm.bias_q_index is not None
    q_b = ARM_Q_STEPS[arm.bias_q_index]
    bias = arm.bias_symbols.copy()
    while True:
        candidate = dataclasses.replace(frame, arm=dataclasses.replace(arm, bias_symbols=bias.copy()))
        if worst is None:
            worst = max_log_scale(candidate)
        if worst is None or worst <= MAX_NONZERO_L:
            return candidate
        bias[-1] -= max(1, math.ceil(64 * (worst - MAX_NONZERO_L) / (4096 * q_b)))
        if abs(int(bias[-1])) > 65535:
            raise ValueError("cannot remove zero coder scales within the 3.0 symbol range")
        bias = bias.astype(np.int32)
        worst = None
