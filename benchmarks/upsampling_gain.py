"""DC gain of the learned upsampling kernel, and the spread of the latents, per file.

The cascade upsamples a latent of resolution i (0 = finest) i times with one shared kernel
(spec §3.3), so at the synthesis' input it is scaled by about ``gain ** i``, where ``gain``
is the kernel's DC gain per 2x stage (the mean over the four output phases of their tap
sums; 1.0 for the bicubic start). A low gain lets the coarse latents be large integers,
that is finely quantised; ``recipe_study.md`` (session 24) compares the official 3.0
streams with ours. Run (from the repository root)::

    .venv/bin/python benchmarks/upsampling_gain.py ../shared/data/coolchic3/kodak-bitstreams/kodim23-*.bin
    .venv/bin/python benchmarks/upsampling_gain.py benchmarks/results/kodak-rd-medium/streams/coolchic/*.cool

Prints one markdown row per file (``.cool`` or official ``.bin``) and the median gain.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np

from coolchic.c3.frame import NN_Q_STEPS, Frame, split_params, upsampling_param_shapes
from coolchic.c3.payload import read_payload
from coolchic.container import looks_like_cool, read_container


def read_frame(path: Path) -> Frame:
    """The frame of a ``.cool`` file or of a raw Cool-chic 3.0 stream."""
    data = path.read_bytes()
    payload = read_container(data, max_pixels=None)[2] if looks_like_cool(data) else data
    return read_payload(payload, max_pixels=None)


def dc_gain(frame: Frame) -> float:
    """Mean over the four output phases of the (dequantised) kernel's tap sums."""
    (kernel,) = split_params(frame.upsampling, upsampling_param_shapes(frame.architecture), NN_Q_STEPS).values()
    kernel = kernel[0, 0]
    return float(np.mean([kernel[a::2, b::2].sum() for a in (0, 1) for b in (0, 1)]))


def latent_spreads(frame: Frame) -> list[float | None]:
    """Standard deviation of the integer latents per resolution, finest first (None: no channel)."""
    return [float(y.std(dtype=np.float64)) if y.size else None for y in frame.latents]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    print("| file | DC gain per stage | latent std per resolution (finest first) |")
    print("|---|---:|---|")
    gains = []
    for path in args.files:
        frame = read_frame(path)
        gains.append(dc_gain(frame))
        spreads = ", ".join("-" if s is None else f"{s:.2f}" for s in latent_spreads(frame))
        print(f"| {path.name} | {gains[-1]:.3f} | {spreads} |")
    print(f"\nmedian DC gain of {len(gains)} files: {statistics.median(gains):.3f} "
          f"(min {min(gains):.3f}, max {max(gains):.3f})")


if __name__ == "__main__":
    main()
