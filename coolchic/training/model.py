"""The trainable Cool-chic model: latent pyramid + ARM + upsampling + synthesis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from coolchic.c3.frame import Architecture, latent_sizes
from coolchic.model.arm import Arm, FixedPointArmTorch, coder_scale
from coolchic.model.context import all_contexts
from coolchic.model.reconstruct import decode_latents
from coolchic.model.synthesis import Synthesis
from coolchic.model.upsampling import Upsampling
from coolchic.training.arm_rate import arm_rate
from coolchic.training.pointwise import synthesis_forward
from coolchic.training.rate import laplace_bits

LATENT_GAIN = 16.0
MIN_CODER_SCALE = 1.0 / 128.0
"""Smallest non-zero coder scale. Quantised-ARM rate estimates use it where the coder scale
is 0, so they stay finite for latents that leave the ARM's predicted value."""

Quantizer = Callable[[Tensor], Tensor]


@dataclass
class Forward:
    """Output ``[C, H, W]`` and total latent bits of one forward pass."""

    out: Tensor
    latent_bits: Tensor


class CoolChicModel(nn.Module):
    """Parameters named ``latents.<i>``, ``arm.*``, ``upsampling.*``, ``synthesis.*``."""

    def __init__(self, arch: Architecture, height: int, width: int, generator: torch.Generator) -> None:
        super().__init__()
        self.arch = arch
        sizes = latent_sizes(height, width, len(arch.n_ft_per_res))
        self.latents = nn.ParameterList(
            [nn.Parameter(torch.zeros(c, h, w)) for c, (h, w) in zip(arch.n_ft_per_res, sizes)]
        )
        self.arm = Arm(arch.n_ctx, arch.layers_arm)
        self.arm.reset_parameters(generator)
        self.upsampling = Upsampling(arch.upsampling_kernel_size)
        self.synthesis = Synthesis(arch.n_latent_channels, arch.synthesis)
        self.synthesis.reset_parameters(generator)
        self.fixed_arm: FixedPointArmTorch | None = None
        """Set once the ARM is quantised: rates then use the exact integer ARM."""

    def forward(self, quantize: Quantizer) -> Forward:
        """Forward pass with ``quantize`` applied to the gained latents."""
        ys = [quantize(LATENT_GAIN * p) for p in self.latents]
        if self.fixed_arm is None:
            bits = arm_rate(self.arm, ys, self.arch.n_ctx_rowcol)
        else:
            flat = torch.cat([y.reshape(-1) for y in ys])
            m, l = self.fixed_arm(all_contexts(ys, self.arch.n_ctx_rowcol).detach())
            mu = (m / 64).to(flat.dtype)
            scale = coder_scale(l).clamp_min(MIN_CODER_SCALE)
            bits = laplace_bits(flat, mu, scale).sum()
        if not torch.is_grad_enabled():  # evaluation: exactly the decoder's path
            return Forward(decode_latents(ys, self.upsampling, self.synthesis), bits)
        return Forward(synthesis_forward(self.synthesis, self.upsampling(ys)), bits)

    def integer_latents(self) -> list[Tensor]:
        """The latents actually transmitted: ``round_even(16 * latent)``."""
        return [torch.round(LATENT_GAIN * p.detach()) for p in self.latents]

    def snapshot(self) -> dict[str, Tensor]:
        """A detached copy of every parameter (for records)."""
        return {k: v.detach().clone() for k, v in self.state_dict().items()}

    def restore(self, state: dict[str, Tensor]) -> None:
        """Reload a :meth:`snapshot` in place."""
        with torch.no_grad():
            for k, v in self.state_dict().items():
                v.copy_(state[k])
