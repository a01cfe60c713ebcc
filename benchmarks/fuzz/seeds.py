"""Valid seed files of every kind: synthetic frames of our writer and the official 3.0 streams.

The synthetic seeds are tiny (decoding each takes milliseconds) and made without training:
random quantised parameters and latents written by :func:`coolchic.c3.payload.write_payload`.
The official streams are read from ``../shared`` (beside the repository) at run time (never copied).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from coolchic.alpha import encode_alpha
from coolchic.c3.frame import (
    Architecture,
    Frame,
    QuantizedParams,
    SynthesisLayer,
    arm_param_shapes,
    latent_sizes,
    synthesis_param_shapes,
)
from coolchic.c3.payload import write_payload
from coolchic.container import TAG_ALPHA, TAG_EXIF, TAG_ICC, TAG_XMP, ContainerHeader, write_container

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "coolchic3"
OFFICIAL_DIRS = ("jvet-D-bitstreams", "kodak-bitstreams")


def _arch(out_channels: int, n_ctx: int, arm: tuple[int, ...], fts: tuple[int, ...], residual: bool) -> Architecture:
    layers = [SynthesisLayer(6, 1, False, "relu")]
    if residual:
        layers.append(SynthesisLayer(6, 3, True, "leakyrelu"))
    layers.append(SynthesisLayer(out_channels, 3, False, "none"))
    return Architecture(n_ctx, arm, 4, tuple(layers), fts)


def _frame(rng: np.random.Generator, arch: Architecture, h: int, w: int, frame_type: str, bitdepth: int) -> Frame:
    def symbols(n: int, amp: int) -> np.ndarray:
        return rng.integers(-amp, amp + 1, n).astype(np.int32)

    def count(shapes: list[tuple[str, tuple[int, ...]]], kind: str) -> int:
        return sum(int(np.prod(s)) for name, s in shapes if name.endswith(kind))

    arm_shapes, syn_shapes = arm_param_shapes(arch), synthesis_param_shapes(arch)
    arm_b = symbols(count(arm_shapes, "bias"), 3)
    arm_b[-1] = 0  # log-scale bias 0: the ARM never predicts a zero scale
    latents = [
        np.round(rng.laplace(0, 2.0, (c, lh, lw))).astype(np.int32)
        for c, (lh, lw) in zip(arch.n_ft_per_res, latent_sizes(h, w, len(arch.n_ft_per_res)))
    ]
    k = arch.upsampling_kernel_size
    return Frame(
        height=h, width=w, frame_type=frame_type, bitdepth=bitdepth, architecture=arch,  # type: ignore[arg-type]
        arm=QuantizedParams(symbols(count(arm_shapes, "weight"), 3), 0, arm_b, 0),
        upsampling=QuantizedParams(rng.integers(-300, 300, k * k).astype(np.int32), 8),
        synthesis=QuantizedParams(symbols(count(syn_shapes, "weight"), 500), 9, symbols(count(syn_shapes, "bias"), 50), 7),
        latents=latents,
    )


def synthetic_seeds() -> dict[str, bytes]:
    """Small valid ``.cool`` files (and raw payloads) covering every kind the format has."""
    rng = np.random.default_rng(20261125)
    icc = zlib.compress(b"fake ICC profile" * 8)
    kinds = {
        # name: (colour, bitdepth, frame type, out channels, n_ctx, arm layers, features per resolution, residual, chunks)
        "rgb8": ("rgb", 8, "rgb", 3, 2, (8, 8), (1, 1, 1), False, {}),
        "gray8": ("gray", 8, "rgb", 1, 1, (4,), (1, 1), False, {}),
        "gray10": ("gray", 10, "rgb", 1, 2, (), (2, 0, 1), False, {}),
        "rgb10": ("rgb", 10, "rgb", 3, 3, (8, 8), (1, 1, 1, 1), True, {}),
        "yuv8": ("yuv420", 8, "yuv420", 3, 2, (8, 8), (1, 1, 1), False, {}),
        "yuv10": ("yuv420", 10, "yuv420", 3, 2, (6,), (1, 0, 1), True, {}),
        "rgb8-meta": ("rgb", 8, "rgb", 3, 2, (8, 8), (1, 1), False,
                      {TAG_ICC: icc, TAG_EXIF: b"Exif\0\0MM\0*\0\0\0\x08\0\0", TAG_XMP: b"<x:xmpmeta/>", "zzzz": b"ancillary"}),
        "rgba8": ("rgb", 8, "rgb", 3, 2, (8, 8), (1, 1, 1), False, {}),
        "la8": ("gray", 8, "rgb", 1, 2, (4,), (1, 1), False, {}),
    }
    seeds: dict[str, bytes] = {}
    for name, (color, bd, ftype, out, n_ctx, arm, fts, residual, chunks) in kinds.items():
        h, w = int(rng.integers(6, 20)), int(rng.integers(6, 24))
        frame = _frame(rng, _arch(out, n_ctx, arm, fts, residual), h, w, ftype, bd)
        payload = write_payload(frame)
        chunks = dict(chunks)
        if name in ("rgba8", "la8"):
            alpha = rng.integers(0, 256, (h, w)).astype(np.uint8)
            chunks[TAG_ALPHA] = encode_alpha(alpha) or b""
        seeds[f"{name}.cool"] = write_container(payload, ContainerHeader(w, h, color, bd), chunks)  # type: ignore[arg-type]
        if name in ("rgb8", "yuv10"):
            seeds[f"{name}.bin"] = payload
    return seeds


def official_seeds(limit_per_dir: int = 4) -> dict[str, bytes]:
    """A few official 3.0 streams (raw ``.bin``) and the same wrapped in a ``.cool`` container."""
    from coolchic.api import read_info

    seeds: dict[str, bytes] = {}
    for folder in OFFICIAL_DIRS:
        for path in sorted((SHARED / folder).glob("*.bin"))[:limit_per_dir]:
            data = path.read_bytes()
            info = read_info(data)
            seeds[path.name] = data
            header = ContainerHeader(info.width, info.height, info.color, info.bitdepth)
            seeds[path.stem + ".cool"] = write_container(data, header)
    return seeds


def all_seeds() -> dict[str, bytes]:
    """Synthetic seeds first, then the official ones (empty when ``../shared`` (beside the repository) is absent)."""
    return {**synthetic_seeds(), **official_seeds()}
