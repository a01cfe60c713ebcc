"""Decoder float path: dequantised latents -> upsampling cascade -> synthesis (spec §3.3-3.4).

:func:`decode_latents` is used both by :func:`synthesize` (the decoder) and by the encoder's
evaluation passes, so the encoder measures exactly what the decoder will output.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from coolchic.c3.frame import (
    NN_Q_STEPS,
    Frame,
    split_params,
    synthesis_param_shapes,
    upsampling_param_shapes,
)
from coolchic.model.synthesis import Synthesis
from coolchic.model.upsampling import Upsampling


def decode_latents(latents: list[Tensor], upsampling: Upsampling, synthesis: Synthesis) -> Tensor:
    """Latents ``[c_i, h_i, w_i]`` (float, integer-valued) -> raw synthesis output ``[C, H, W]``."""
    return synthesis(upsampling(latents))


def build_decoder(frame: Frame, device: str = "cpu") -> tuple[Upsampling, Synthesis]:
    """Upsampling and synthesis modules holding the frame's dequantised parameters."""
    arch = frame.architecture
    upsampling = Upsampling(arch.upsampling_kernel_size)
    synthesis = Synthesis(arch.n_latent_channels, arch.synthesis)
    for module, params, shapes in (
        (upsampling, frame.upsampling, upsampling_param_shapes(arch)),
        (synthesis, frame.synthesis, synthesis_param_shapes(arch)),
    ):
        values = split_params(params, shapes, NN_Q_STEPS)
        module.load_state_dict({k: torch.from_numpy(v) for k, v in values.items()})
    return upsampling.to(device), synthesis.to(device)


@torch.no_grad()
def synthesize(frame: Frame, device: str = "cpu") -> np.ndarray:
    """The frame's raw decoded image: float32 ``[C, H, W]``, not clamped nor rounded."""
    upsampling, synthesis = build_decoder(frame, device)
    latents = [torch.from_numpy(np.asarray(y, dtype=np.float32)).to(device) for y in frame.latents]
    out = decode_latents(latents, upsampling, synthesis)
    return out.float().cpu().numpy()
