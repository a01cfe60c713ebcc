"""In-memory description of one Cool-chic 3.0 frame: what the payload stores.

This module is shared by the entropy path (``coolchic.c3``), the torch model
(``coolchic.model``) and the encoder (``coolchic.training``). It imports numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

FrameType = Literal["rgb", "yuv420"]
Nonlinearity = Literal["none", "relu", "leakyrelu", "gelu"]

ARM_Q_STEPS: tuple[float, ...] = tuple(2.0 ** (i - 7) for i in range(8))
"""q-step of ARM weights and biases, indexed by the 1-byte header index."""
NN_Q_STEPS: tuple[float, ...] = tuple(2.0 ** (i - 16) for i in range(17))
"""q-step of upsampling and synthesis weights and biases."""


@dataclass(frozen=True)
class SynthesisLayer:
    """One synthesis conv layer ``<out>-<k>-<linear|residual>-<nonlinearity>`` with X resolved."""

    out_channels: int
    kernel_size: int
    residual: bool
    nonlinearity: Nonlinearity


@dataclass(frozen=True)
class Architecture:
    """Decoder architecture: everything needed to know the shapes of all parameters."""

    n_ctx_rowcol: int = 3
    layers_arm: tuple[int, ...] = (24, 24)
    upsampling_kernel_size: int = 8
    synthesis: tuple[SynthesisLayer, ...] = ()
    n_ft_per_res: tuple[int, ...] = (1, 1, 1, 1, 1, 1, 1)

    @property
    def n_ctx(self) -> int:
        """Number of causal context positions of the ARM: ((2N+1)^2 - 1) / 2."""
        return ((2 * self.n_ctx_rowcol + 1) ** 2 - 1) // 2

    @property
    def n_latent_channels(self) -> int:
        """Synthesis input channels: sum of features over resolutions."""
        return sum(self.n_ft_per_res)

    @property
    def out_channels(self) -> int:
        """Channels the synthesis outputs (3 for RGB/YUV, 1 for grey)."""
        return self.synthesis[-1].out_channels


@dataclass
class QuantizedParams:
    """One module's parameters as integer symbols, as stored in two NN streams.

    ``weight_symbols`` / ``bias_symbols`` are flat int32 arrays: every weight (resp. bias)
    tensor of the module flattened row-major and concatenated in PyTorch
    ``named_parameters()`` order (spec §5.4.1). The real value is ``symbol * q_step``.
    A module without biases (the upsampling) has ``bias_symbols is None``.
    """

    weight_symbols: np.ndarray
    weight_q_index: int
    bias_symbols: np.ndarray | None = None
    bias_q_index: int | None = None


@dataclass
class Frame:
    """One decoded / to-be-encoded image frame.

    ``latents[i]`` is the int32 array ``[c_i, h_i, w_i]`` of resolution i
    (``h_i = ceil(H / 2**i)``), exactly the integers range-coded in the payload.
    """

    height: int
    width: int
    frame_type: FrameType
    bitdepth: int
    architecture: Architecture
    arm: QuantizedParams
    upsampling: QuantizedParams
    synthesis: QuantizedParams
    latents: list[np.ndarray] = field(default_factory=list)


def latent_sizes(height: int, width: int, n_resolutions: int) -> list[tuple[int, int]]:
    """(h_i, w_i) = (ceil(H/2^i), ceil(W/2^i)) for each resolution i."""
    return [(-(-height // 2**i), -(-width // 2**i)) for i in range(n_resolutions)]


def arm_param_shapes(arch: Architecture) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of the ARM parameters in named_parameters() order."""
    shapes: list[tuple[str, tuple[int, ...]]] = []
    widths = (arch.n_ctx, *arch.layers_arm, 2)
    for k, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        shapes.append((f"mlp.{2 * k}.weight", (d_out, d_in)))
        shapes.append((f"mlp.{2 * k}.bias", (d_out,)))
    return shapes


def synthesis_param_shapes(arch: Architecture) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of the synthesis parameters in named_parameters() order."""
    shapes: list[tuple[str, tuple[int, ...]]] = []
    c_in = arch.n_latent_channels
    for k, layer in enumerate(arch.synthesis):
        ks = layer.kernel_size
        shapes.append((f"layers.{k}.weight", (layer.out_channels, c_in, ks, ks)))
        shapes.append((f"layers.{k}.bias", (layer.out_channels,)))
        c_in = layer.out_channels
    return shapes


def upsampling_param_shapes(arch: Architecture) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of the upsampling parameters: one K x K kernel, no bias."""
    k = arch.upsampling_kernel_size
    return [("weight", (1, 1, k, k))]


def split_params(
    params: QuantizedParams, shapes: list[tuple[str, tuple[int, ...]]], q_steps: tuple[float, ...]
) -> dict[str, np.ndarray]:
    """Dequantise ``params`` into named float32 tensors of the given shapes."""
    out: dict[str, np.ndarray] = {}
    offsets = {"weight": 0, "bias": 0}
    for name, shape in shapes:
        kind = "weight" if name.endswith("weight") else "bias"
        symbols = params.weight_symbols if kind == "weight" else params.bias_symbols
        q_index = params.weight_q_index if kind == "weight" else params.bias_q_index
        assert symbols is not None and q_index is not None
        n = int(np.prod(shape))
        chunk = symbols[offsets[kind] : offsets[kind] + n]
        offsets[kind] += n
        out[name] = (chunk.astype(np.float32) * np.float32(q_steps[q_index])).reshape(shape)
    return out
