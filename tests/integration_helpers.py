"""Shared tiny encodes for the Pillow, imageio and CLI tests (cached once per test process)."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
YUV10 = SHARED / "data" / "yuv" / "kodim15_192x128_01p_yuv420_10b.yuv"
YUV8 = SHARED / "data" / "yuv" / "kodim15_192x128_01p_yuv420_8b.yuv"

TINY = dict(
    n_itr=20,
    n_train_loops=1,
    seed=0,
    threads=1,
    layers_arm="8,8",
    layers_synthesis="8-1-linear-relu,X-1-linear-none",
    n_ft_per_res="1,1,1",
)
"""Encoder options that make an encode take about a second."""

CLI_TINY = [arg for key, value in TINY.items() for arg in (f"--{key}" if key != "threads" else "-j", str(value))]


def rgb_image(width: int = 32, height: int = 24) -> np.ndarray:
    """A smooth deterministic RGB test pattern."""
    yy, xx = np.mgrid[0:height, 0:width]
    r = 255 * xx / max(width - 1, 1)
    g = 255 * yy / max(height - 1, 1)
    b = 128 + 100 * np.sin(xx / 3.0) * np.cos(yy / 4.0)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def alpha_plane(width: int = 32, height: int = 24) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return ((xx * 7 + yy * 3) % 256).astype(np.uint8)


@functools.lru_cache(maxsize=None)
def cool_rgb() -> bytes:
    import coolchic

    return coolchic.encode(rgb_image(), **TINY).data


@functools.lru_cache(maxsize=None)
def cool_yuv10() -> bytes:
    """A 10-bit 4:2:0 encode of a crop of the shared sample."""
    import coolchic
    from coolchic.imageconv import read_yuv420

    full = read_yuv420(YUV10)
    crop = coolchic.YUV420(full.y[:24, :32], full.u[:12, :16], full.v[:12, :16], bitdepth=10)
    return coolchic.encode(crop, **TINY).data


def cli_command() -> list[str]:
    """The installed ``coolchic`` command (falls back to ``python -m coolchic_cli``)."""
    script = Path(sys.executable).with_name("coolchic")
    return [str(script)] if script.exists() else [sys.executable, "-m", "coolchic_cli"]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
