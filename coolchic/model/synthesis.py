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


def replicate_padded(x: Tensor, pad: int) -> Tensor:
    """``x [1, C, H, W]`` replicate-padded by ``pad`` on each side, in channels-last layout
    (the input layout in which ``conv2d`` runs the small k x k layers fastest on CPU)."""
    return F.pad(x, (pad,) * 4, mode="replicate").contiguous(memory_format=torch.channels_last)


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
        """``x [C_in, H, W]`` -> ``[C_out, H, W]``."""
        c, h, w = x.shape
        return self.apply_layers(x.reshape(c, h * w), 0, h, w)

    def apply_layers(self, flat: Tensor, start: int, h: int, w: int) -> Tensor:
        """Layers ``start, start + 1, ...`` on ``flat [C, H*W]`` -> ``[C_out, H, W]``.

        1 x 1 convs run as matmuls on ``[C, H*W]``; k x k ones as ``conv2d`` on the
        replicate-padded input in channels-last layout (measured 2x faster than NCHW or
        im2col for 3-channel layers on CPU).
        """
        c = flat.shape[0]
        for spec, conv in zip(self.specs[start:], self.layers[start:]):
            k = spec.kernel_size
            if k == 1:
                y = torch.addmm(conv.bias[:, None], conv.weight.reshape(spec.out_channels, c), flat)
            else:
                padded = replicate_padded(flat.reshape(1, c, h, w), (k - 1) // 2)
                y = F.conv2d(padded, conv.weight, conv.bias)[0].reshape(spec.out_channels, h * w)
            if spec.residual:
                y = y + flat
            flat = _NONLINEARITIES[spec.nonlinearity](y)
            c = spec.out_channels
        return flat.reshape(c, h, w)
