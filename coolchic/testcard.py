"""A deterministic, procedural RGB test card (no text, no randomness, numpy only).

Layout, top to bottom: 8 colour bars; a horizontal grey ramp above an RGB hue ramp;
then, side by side, anti-aliased circles on a diagonal gradient and a block of fine
lines (1-pixel vertical, horizontal and diagonal gratings).
"""

from __future__ import annotations

import numpy as np

_BARS = np.array(
    [
        [235, 235, 235],
        [235, 235, 16],
        [16, 235, 235],
        [16, 235, 16],
        [235, 16, 235],
        [235, 16, 16],
        [16, 16, 235],
        [16, 16, 16],
    ],
    dtype=np.float64,
)


def render_test_card(width: int = 192, height: int = 128) -> np.ndarray:
    """Render the card as an ``height x width x 3`` uint8 array (any size >= 8 x 8)."""
    if width < 8 or height < 8:
        raise ValueError(f"test card size {width}x{height}: width and height must be >= 8")
    img = np.zeros((height, width, 3), dtype=np.float64)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    u = (xx + 0.5) / width
    bars_end, ramp_end = height // 4, height // 2

    img[:bars_end] = _BARS[np.minimum((u[:bars_end] * 8).astype(int), 7)]

    half = (bars_end + ramp_end) // 2
    img[bars_end:half] = (u[bars_end:half] * 255)[..., None]
    hue = u[half:ramp_end] * 6.0
    for c, shift in enumerate((0.0, 4.0, 2.0)):
        img[half:ramp_end, :, c] = 255 * np.clip(np.abs((hue + shift) % 6.0 - 3.0) - 1.0, 0, 1)

    split = width * 5 // 8
    low = slice(ramp_end, height)
    v = (yy[low] - ramp_end + 0.5) / max(height - ramp_end, 1)
    img[low, :split, 0] = 40 + 160 * u[low, :split] / (split / width)
    img[low, :split, 1] = 60 + 120 * v[:, :split]
    img[low, :split, 2] = 200 - 150 * v[:, :split]
    circles = ((0.25, 0.5, 0.30, (250, 220, 40)), (0.55, 0.45, 0.22, (30, 90, 220)), (0.8, 0.6, 0.15, (220, 40, 60)))
    h_low = height - ramp_end
    for cx, cy, r, colour in circles:
        x0, y0, rad = cx * split, ramp_end + cy * h_low, r * h_low
        dist = np.hypot(xx[low, :split] + 0.5 - x0, yy[low, :split] + 0.5 - y0)
        alpha = np.clip(rad - dist + 0.5, 0, 1)[..., None]
        img[low, :split] = (1 - alpha) * img[low, :split] + alpha * np.array(colour, dtype=np.float64)

    lx, ly = xx[low, split:], yy[low, split:]
    lines = np.where((lx.astype(int) % 2) == 0, 230.0, 25.0)
    third = ramp_end + h_low // 3
    lines = np.where(ly >= third, np.where((ly.astype(int) % 3) == 0, 20.0, 220.0), lines)
    lines = np.where(ly >= ramp_end + 2 * h_low // 3, np.where(((lx + ly).astype(int) % 4) < 2, 240.0, 40.0), lines)
    img[low, split:] = lines[..., None]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)
