"""Resource limits of the decoder, checked from the payload header before any allocation.

The NN streams bound the parameter counts (a 16-bit stream length holds at most
:func:`coolchic.c3.nn_streams.max_symbols` symbols), but not the work per pixel nor the
size of the synthesis tensors, which grow with the image. These limits do.
"""

from __future__ import annotations

from coolchic.c3.frame import Architecture
from coolchic.c3.header import PayloadHeader
from coolchic.errors import ImageTooLargeError, UnsupportedError

MAX_SYNTHESIS_MACS_PER_PIXEL = 1 << 16
"""Multiply-adds of the synthesis per output pixel (the official 3.0 networks need < 1 000)."""
MAX_ARM_MACS_PER_LATENT = 1 << 16
"""Multiply-adds of the ARM per latent value (the official 24,24 ARM with 24 contexts needs 1 200)."""
MAX_DECODE_FLOATS = 1 << 30
"""Float32 values held at once by the upsampling and synthesis (4 GiB); ignored when ``max_pixels`` is ``None``."""


def synthesis_macs_per_pixel(arch: Architecture) -> int:
    """Multiply-adds of the synthesis convolutions per output pixel."""
    total, c_in = 0, arch.n_latent_channels
    for layer in arch.synthesis:
        total += layer.out_channels * c_in * layer.kernel_size**2
        c_in = layer.out_channels
    return total


def arm_macs_per_latent(arch: Architecture) -> int:
    """Multiply-adds of the ARM's MLP per decoded latent value."""
    widths = (arch.n_ctx, *arch.layers_arm, 2)
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def decode_floats(header: PayloadHeader) -> int:
    """An upper estimate of the float32 values the synthesis holds at once.

    The upsampled latents (``n_latent_channels`` full-size planes) plus, for the widest
    layer, its input unfolded over the kernel and its output.
    """
    arch, c_in, widest = header.architecture, header.architecture.n_latent_channels, 0
    for layer in arch.synthesis:
        widest = max(widest, c_in * layer.kernel_size**2 + layer.out_channels)
        c_in = layer.out_channels
    return header.height * header.width * (arch.n_latent_channels + widest)


def check_decoder_limits(header: PayloadHeader, *, size_limits: bool = True) -> None:
    """Raise before decoding when the network or its tensors exceed the limits above.

    ``UnsupportedError`` for a network too costly per pixel or per latent;
    ``ImageTooLargeError`` for tensors over :data:`MAX_DECODE_FLOATS` (when ``size_limits``).
    """
    arch = header.architecture
    macs = synthesis_macs_per_pixel(arch)
    if macs > MAX_SYNTHESIS_MACS_PER_PIXEL:
        raise UnsupportedError(
            f"synthesis needs {macs} multiply-adds per pixel, more than the limit {MAX_SYNTHESIS_MACS_PER_PIXEL}"
        )
    macs = arm_macs_per_latent(arch)
    if macs > MAX_ARM_MACS_PER_LATENT:
        raise UnsupportedError(f"ARM needs {macs} multiply-adds per latent, more than the limit {MAX_ARM_MACS_PER_LATENT}")
    floats = decode_floats(header)
    if size_limits and floats > MAX_DECODE_FLOATS:
        raise ImageTooLargeError(
            f"decoding needs about {floats * 4 >> 20} MiB of synthesis tensors, more than the limit of "
            f"{MAX_DECODE_FLOATS * 4 >> 20} MiB (use max_pixels=None for trusted data)"
        )
