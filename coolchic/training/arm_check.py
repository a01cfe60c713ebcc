"""Fixed-point ARM predictions on a :class:`Frame`'s coded latent grids."""

from __future__ import annotations

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Frame, arm_param_shapes, split_params
from coolchic.model.arm import Arm, FixedPointArmTorch
from coolchic.model.context import grid_contexts


def max_log_scale(frame: Frame) -> int | None:
    """Largest fixed-point log-scale ``l`` over every latent of every non-zero grid."""
    arch = frame.architecture
    arm = Arm(arch.n_ctx, arch.layers_arm)
    values = split_params(frame.arm, arm_param_shapes(arch), ARM_Q_STEPS)
    arm.load_state_dict({k: torch.from_numpy(v) for k, v in values.items()})
    fixed = FixedPointArmTorch(arm)
    worst: int | None = None
    for latents in frame.latents:
        for grid in latents:
            if not np.any(grid):
                continue
            contexts = grid_contexts(torch.from_numpy(grid[None].astype(np.float64)), arch.n_ctx_rowcol)
            _, l = fixed(contexts)
            worst = int(l.max()) if worst is None else max(worst, int(l.max()))
    return worst
