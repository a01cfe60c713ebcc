"""Helpers of the tests of coolchic.c3: official streams and small synthetic frames."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from coolchic.c3.frame import (
    ARM_Q_STEPS,
    Architecture,
    Frame,
    QuantizedParams,
    SynthesisLayer,
    arm_param_shapes,
    latent_sizes,
    synthesis_param_shapes,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KODAK = SHARED / "data" / "coolchic3" / "kodak-bitstreams"
JVET = SHARED / "data" / "coolchic3" / "jvet-D-bitstreams"


def official_streams() -> list[Path]:
    """The 120 Kodak and 20 JVET class D official 3.0 streams."""
    return sorted(KODAK.glob("*.bin")) + sorted(JVET.glob("*.bin"))


def small_arch(
    n_ctx_rowcol: int = 2,
    layers_arm: tuple[int, ...] = (12, 12),
    n_ft_per_res: tuple[int, ...] = (1, 1, 1),
    out_channels: int = 3,
) -> Architecture:
    synthesis = (
        SynthesisLayer(8, 1, False, "relu"),
        SynthesisLayer(out_channels, 3, False, "none"),
    )
    return Architecture(n_ctx_rowcol, layers_arm, 4, synthesis, n_ft_per_res)


def random_arm(rng: np.random.Generator, arch: Architecture, *, l_bias: int = 0,
               amplitude: int = 3, q_index: int = 0) -> QuantizedParams:
    """Small random ARM; ``l_bias`` is the log-scale output bias symbol (q = 2^-7 → l_bias·32/64)."""
    shapes = arm_param_shapes(arch)
    n_w = sum(int(np.prod(s)) for n, s in shapes if n.endswith("weight"))
    n_b = sum(int(np.prod(s)) for n, s in shapes if n.endswith("bias"))
    weights = rng.integers(-amplitude, amplitude + 1, n_w).astype(np.int32)
    biases = rng.integers(-amplitude, amplitude + 1, n_b).astype(np.int32)
    biases[-1] = l_bias
    return QuantizedParams(weights, q_index, biases, 0)


def random_frame(
    rng: np.random.Generator,
    arch: Architecture | None = None,
    height: int = 48,
    width: int = 64,
    frame_type: str = "rgb",
    bitdepth: int = 8,
    latent_scale: float = 2.0,
    zero_grids: tuple[int, ...] = (),
) -> Frame:
    """A random frame whose ARM never predicts a zero scale (l bias 0, small weights)."""
    arch = arch or small_arch()
    n_syn = sum(int(np.prod(s)) for _, s in synthesis_param_shapes(arch))
    n_syn_b = sum(layer.out_channels for layer in arch.synthesis)
    k = arch.upsampling_kernel_size
    latents = []
    grid = 0
    for c, (h, w) in zip(arch.n_ft_per_res, latent_sizes(height, width, len(arch.n_ft_per_res))):
        lat = np.round(rng.laplace(0, latent_scale, (c, h, w))).astype(np.int32)
        for ch in range(c):
            if grid + ch in zero_grids:
                lat[ch] = 0
        grid += max(c, 1)
        latents.append(lat)
    return Frame(
        height=height,
        width=width,
        frame_type=frame_type,  # type: ignore[arg-type]
        bitdepth=bitdepth,
        architecture=arch,
        arm=random_arm(rng, arch),
        upsampling=QuantizedParams(rng.integers(-300, 300, k * k).astype(np.int32), 8),
        synthesis=QuantizedParams(
            rng.integers(-500, 500, n_syn - n_syn_b).astype(np.int32), 9,
            rng.integers(-50, 50, n_syn_b).astype(np.int32), 7,
        ),
        latents=latents,
    )


def naive_arm_output(arch: Architecture, arm: QuantizedParams, context: list[int]) -> tuple[int, int]:
    """(m, l) of the fixed-point ARM for one context, with Python integers and Fractions."""
    q_w = Fraction(ARM_Q_STEPS[arm.weight_q_index])
    q_b = Fraction(ARM_Q_STEPS[arm.bias_q_index])
    a = [64 * int(x) for x in context]
    shapes = arm_param_shapes(arch)
    w_off = b_off = 0
    n_layers = len(shapes) // 2
    for k in range(n_layers):
        d_out, d_in = shapes[2 * k][1]
        out = []
        for i in range(d_out):
            acc = sum(
                round(int(arm.weight_symbols[w_off + i * d_in + j]) * q_w * 64) * a[j] for j in range(d_in)
            )
            acc += round(int(arm.bias_symbols[b_off + i]) * q_b * 4096)
            if k < n_layers - 1 and d_in == d_out:
                acc += 64 * a[i]
            value = (acc + 32) // 64
            out.append(max(value, 0) if k < n_layers - 1 else value)
        w_off += d_out * d_in
        b_off += d_out
        a = out
    return a[0], a[1]
