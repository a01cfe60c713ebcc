"""Seconds, bpp and PSNR of the encoder presets on full Kodak images (real encodes).

Run (from the repository root; one encode at a time, ``--threads`` torch threads)::

    .venv/bin/python benchmarks/preset_timing.py --presets fast,medium --images kodim01 \
        --threads 2 --quality 60 --out benchmarks/results/preset_timing.tsv

Seconds are wall-clock of :func:`coolchic.api.encode` (training, writing and the check
decode); ``s_per_mpix`` divides them by the image's megapixels. ``--device cuda`` trains on
the GPU (``threads`` then only sets the CPU threads of the decode check).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image

KODAK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kodak"
FIELDS = ("image", "preset", "quality", "device", "threads", "seconds", "s_per_mpix", "bpp", "psnr_db")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", default="fast")
    parser.add_argument("--images", default="kodim01")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device of the encoder: cpu, cuda, cuda:N")
    parser.add_argument("--kodak", type=Path, default=KODAK, help="folder of the kodimNN.png files")
    parser.add_argument("--quality", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/preset_timing.tsv"))
    args = parser.parse_args()

    from coolchic import api

    new_file = not args.out.exists()
    with args.out.open("a", newline="") as f:
        writer = csv.DictWriter(f, FIELDS, delimiter="\t")
        if new_file:
            writer.writeheader()
        for name in args.images.split(","):
            pixels = np.asarray(Image.open(args.kodak / f"{name}.png").convert("RGB"))
            mpix = pixels.shape[0] * pixels.shape[1] / 1e6
            for preset in args.presets.split(","):
                start = time.perf_counter()
                result = api.encode(pixels, preset=preset, quality=args.quality, threads=args.threads,
                                       device=args.device, seed=0)
                seconds = time.perf_counter() - start
                row = {"image": name, "preset": preset, "quality": args.quality, "device": args.device,
                       "threads": args.threads,
                       "seconds": round(seconds, 1), "s_per_mpix": round(seconds / mpix, 1),
                       "bpp": round(result.bpp, 4), "psnr_db": round(result.psnr_db, 3)}
                writer.writerow(row)
                f.flush()
                print("\t".join(str(row[k]) for k in FIELDS), flush=True)


if __name__ == "__main__":
    main()
