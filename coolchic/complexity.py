"""Decoder complexity in multiply-accumulates (MAC) per decoded pixel, counted as spec §8 does.

Counted: every multiply of the ARM's linear layers (on every latent, all-zero grids included),
of the upsampling's transposed convolution (on the replicate-padded input) and of the
synthesis convolutions. Not counted: biases, activations, residual adds, exp and entropy
coding. This matches the reference's fvcore figures (2291.4 MAC/pixel for the default
architecture on a 512x768 image).
"""

from __future__ import annotations

from dataclasses import dataclass

from .c3.frame import Architecture, latent_sizes


@dataclass(frozen=True)
class Complexity:
    """MAC per decoded pixel, split by module."""

    arm: float
    upsampling: float
    synthesis: float

    @property
    def total(self) -> float:
        return self.arm + self.upsampling + self.synthesis


def mac_per_pixel(arch: Architecture, height: int, width: int) -> Complexity:
    """Decoder MAC per pixel of ``arch`` for an ``height`` x ``width`` image."""
    n_pixels = height * width
    sizes = latent_sizes(height, width, len(arch.n_ft_per_res))

    widths = (arch.n_ctx, *arch.layers_arm, 2)
    arm_macs_per_latent = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    n_latents = sum(c * h * w for c, (h, w) in zip(arch.n_ft_per_res, sizes))

    k = arch.upsampling_kernel_size
    upsampling = 0
    for i in range(len(sizes) - 1, 0, -1):
        channels = sum(arch.n_ft_per_res[i:])
        h_in, w_in = sizes[i]
        upsampling += channels * (h_in + k) * (w_in + k) * k * k

    synthesis = 0
    c_in = arch.n_latent_channels
    for layer in arch.synthesis:
        synthesis += layer.out_channels * c_in * layer.kernel_size**2
        c_in = layer.out_channels

    return Complexity(
        arm=arm_macs_per_latent * n_latents / n_pixels,
        upsampling=upsampling / n_pixels,
        synthesis=float(synthesis),
    )
