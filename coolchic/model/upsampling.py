"""Learned 2x upsampling (spec §3.3): one K x K transposed-conv kernel shared by all levels."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from coolchic.model.shifts import shifted_stack

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
        """Upsample every channel of ``x [c, h, w]`` to ``[c, height, width]`` (2h >= height).

        The stride-2 transposed conv of spec §3.3 is run as its four polyphase correlations
        (output pixel parity (a, b) uses taps ``kernel[a::2, b::2]``, flipped): one matmul
        ``[4, S*S] @ [S*S, c*h'*w']`` on shifted windows, then the phases are interleaved.
        Replicate padding by ``S // 2`` (``S = K / 2``) covers every tap the crop keeps.
        """
        c, h, w = x.shape
        s = self.kernel_size // 2
        pad = s // 2
        phases = self.weight[0, 0].reshape(s, 2, s, 2).flip(0, 2).permute(1, 3, 0, 2).reshape(4, s * s)
        padded = F.pad(x, (pad,) * 4, mode="replicate")
        ho, wo = h + 2 * pad - s + 1, w + 2 * pad - s + 1
        offsets = tuple((i, j) for i in range(s) for j in range(s))
        cols = shifted_stack(padded, offsets, ho, wo).reshape(s * s, c * ho * wo)
        up = (phases @ cols).reshape(2, 2, c, ho, wo).permute(2, 3, 0, 4, 1).reshape(c, 2 * ho, 2 * wo)
        crop = 2 * pad + 1 - s
        return up[:, crop : crop + height, crop : crop + width]

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
