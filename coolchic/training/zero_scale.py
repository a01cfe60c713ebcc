"""Keep every coded latent's entropy-coder scale non-zero (spec §5.5).

A log-scale output ``l >= 710`` (in 1/64 units) gives a coder scale of exactly 0, a
degenerate Laplace that newer entropy coders refuse. After quantisation the encoder lowers
the ARM's log-scale output bias symbol until no latent of a coded (non all-zero) grid has
such a scale: lowering it by k symbols lowers every ``l`` by at least
``floor(k * 4096 * q_b / 64)``, so one jump sized from the worst latent suffices (checked).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Frame
from coolchic.model.arm import coder_scale
from coolchic.training.arm_check import max_log_scale, zero_scale_count

MAX_NONZERO_L = int(
    torch.nonzero(coder_scale(torch.arange(0, 2000, dtype=torch.float64)) > 0).max()
)
"""Largest fixed-point log-scale (1/64 units) whose coder scale is not 0 (709)."""


def remove_zero_scales(frame: Frame) -> Frame:
    """A copy of ``frame`` whose ARM bias makes every coded latent's coder scale > 0."""
    arm = frame.arm
    assert arm.bias_symbols is not None and arm.bias_q_index is not None
    q_b = ARM_Q_STEPS[arm.bias_q_index]
    bias = arm.bias_symbols.copy()
    while True:
        candidate = dataclasses.replace(frame, arm=dataclasses.replace(arm, bias_symbols=bias.copy()))
        if zero_scale_count(candidate) == 0:
            return candidate
        worst = max_log_scale(candidate)
        assert worst is not None and worst > MAX_NONZERO_L
        bias[-1] -= max(1, math.ceil(64 * (worst - MAX_NONZERO_L) / (4096 * q_b)))
        if abs(int(bias[-1])) > 65535:
            raise ValueError("cannot remove zero coder scales within the 3.0 symbol range")
        bias = bias.astype(np.int32)
