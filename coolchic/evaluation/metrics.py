"""Rate and distortion measures used by the benchmark."""

from __future__ import annotations

import math

import numpy as np


def bits_per_pixel(n_bytes: int, height: int, width: int) -> float:
    """Whole-file rate: ``8 * n_bytes / (height * width)``."""
    return 8.0 * n_bytes / (height * width)


def psnr_rgb(reference: np.ndarray, reconstruction: np.ndarray) -> float:
    """PSNR in dB of two uint8 ``H x W x 3`` images, MSE over all three channels (peak 255).

    Identical images give ``inf``.
    """
    if reference.shape != reconstruction.shape:
        raise ValueError(
            f"reconstruction shape {reconstruction.shape} differs from reference {reference.shape}"
        )
    diff = reference.astype(np.float64) - reconstruction.astype(np.float64)
    mse = float(np.mean(diff * diff))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(255.0**2 / mse)
