"""Synthesis network (spec §3.4): replicate-padded convolutions, linear or residual."""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from coolchic.c3.frame import SynthesisLayer

_NONLINEARITIES: dict[str, Callable[[Tensor], Tensor]] = {
    "none": lambda x: x,
    "relu": F.relu,
    "leakyrelu": lambda x: F.leaky_relu(x, 0.01),
    "gelu": F.gelu,
}


class Synthesis(nn.Module):
    """Stack of ``Conv2d`` layers named ``layers.<k>`` (the 3.0 parameter order)."""

    def __init__(self, in_channels: int, layers: tuple[SynthesisLayer, ...]) -> None:
        super().__init__()
        self.specs = layers
        convs = []
        for layer in layers:
            convs.append(nn.Conv2d(in_channels, layer.out_channels, layer.kernel_size))
            in_channels = layer.out_channels
        self.layers = nn.ModuleList(convs)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Spec §3.6: linear convs U(+-1/sqrt(fan_in)) / out^2, residual convs and biases 0."""
        for spec, conv in zip(self.specs, self.layers):
            conv.bias.zero_()
            if spec.residual:
                conv.weight.zero_()
            else:
                fan_in = conv.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                w = torch.rand(conv.weight.shape, generator=generator) * (2 * bound) - bound
                conv.weight.copy_(w / spec.out_channels**2)

    def forward(self, x: Tensor) -> Tensor:
        """``x [1, C_in, H, W]`` -> ``[1, C_out, H, W]``."""
        for spec, conv in zip(self.specs, self.layers):
            pad = (spec.kernel_size - 1) // 2
            inp = F.pad(x, (pad,) * 4, mode="replicate") if pad else x
            y = conv(inp)
            if spec.residual:
                y = y + x
            x = _NONLINEARITIES[spec.nonlinearity](y)
        return x
