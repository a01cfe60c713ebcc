"""Learned 2x upsampling (spec §3.3): one K x K transposed-conv kernel shared by all levels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

BICUBIC_TAPS = (-9.0, -27.0, 67.0, 225.0, 225.0, 67.0, -27.0, -9.0)
"""Separable 2x bicubic (a = -0.75) interpolation taps, times 256."""


def bicubic_kernel(kernel_size: int) -> Tensor:
    """The initial ``[1, 1, K, K]`` kernel: outer(g, g), zero-padded from 8x8 to K x K."""
    g = torch.tensor(BICUBIC_TAPS, dtype=torch.float32) / 256.0
    k8 = torch.outer(g, g)
    pad = (kernel_size - 8) // 2
    return F.pad(k8, (pad, pad, pad, pad)).reshape(1, 1, kernel_size, kernel_size)


class Upsampling(nn.Module):
    """Upsampling cascade with a single learned kernel, no bias."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.weight = nn.Parameter(bicubic_kernel(kernel_size))

    def upsample(self, x: Tensor, height: int, width: int) -> Tensor:
        """Upsample every channel of ``x [c, h, w]`` to ``[c, height, width]`` (2h >= height)."""
        k = self.kernel_size
        padded = F.pad(x.unsqueeze(1), (k // 2,) * 4, mode="replicate")
        up = F.conv_transpose2d(padded, self.weight, stride=2)
        crop = (3 * k - 2) // 2
        return up[:, 0, crop : crop + height, crop : crop + width]

    def forward(self, latents: list[Tensor]) -> Tensor:
        """Cascade ``latents[i] [c_i, h_i, w_i]`` (finest first) into ``[sum c_i, h_0, w_0]``."""
        upsampled = latents[-1]
        for finer in reversed(latents[:-1]):
            height, width = finer.shape[-2:]
            if upsampled.shape[0]:
                upsampled = self.upsample(upsampled, height, width)
            else:
                upsampled = upsampled.new_zeros((0, height, width))
            upsampled = torch.cat([finer, upsampled], dim=0)
        return upsampled
