"""Fixed-point ARM predictions on a :class:`Frame`'s coded (non all-zero) latent grids."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from coolchic.c3.arm_fixed import FixedPointArm
from coolchic.c3.entropy import laplace_bits
from coolchic.c3.frame import ARM_Q_STEPS, Frame, arm_param_shapes, split_params
from coolchic.model.arm import Arm, FixedPointArmTorch
from coolchic.model.context import grid_contexts as grid_contexts_torch


def _coded_grids(frame: Frame) -> Iterator[np.ndarray]:
    for latents in frame.latents:
        for grid in latents:
            if np.any(grid):
                yield grid


def zero_scale_count(frame: Frame) -> int:
    """Number of coded latents whose coder scale is 0, with the decoder's own integer ARM."""
    arm = FixedPointArm(frame.architecture, frame.arm)
    count = 0
    for grid in _coded_grids(frame):
        _, scale128 = arm.predict_grid(grid, frame.architecture.n_ctx_rowcol)
        count += int(np.count_nonzero(scale128 == 0))
    return count


def log_scales(frame: Frame) -> np.ndarray:
    """Fixed-point log-scales ``l`` (1/64 units) of every coded latent, int64."""
    arch = frame.architecture
    arm = Arm(arch.n_ctx, arch.layers_arm)
    values = split_params(frame.arm, arm_param_shapes(arch), ARM_Q_STEPS)
    arm.load_state_dict({k: torch.from_numpy(v) for k, v in values.items()})
    fixed = FixedPointArmTorch(arm)
    parts = [np.zeros(0, dtype=np.int64)]
    for grid in _coded_grids(frame):
        contexts = grid_contexts_torch(torch.from_numpy(grid[None].astype(np.float64)), arch.n_ctx_rowcol)
        _, l = fixed(contexts)
        parts.append(l.reshape(-1).numpy().astype(np.int64))
    return np.concatenate(parts)


def max_log_scale(frame: Frame) -> int | None:
    """Largest fixed-point log-scale ``l`` (1/64 units) over the coded latents."""
    values = log_scales(frame)
    return int(values.max()) if values.size else None


def latent_bits(frame: Frame) -> float:
    """Exact code length in bits of the coded latents under the frame's fixed-point ARM."""
    arm = FixedPointArm(frame.architecture, frame.arm)
    ac_max = max((int(np.abs(y).max(initial=0)) for y in frame.latents), default=0) + 2
    total = 0.0
    for grid in _coded_grids(frame):
        mu64, scale128 = arm.predict_grid(grid, frame.architecture.n_ctx_rowcol)
        total += laplace_bits(grid.ravel(), mu64, scale128, ac_max)
    return total
