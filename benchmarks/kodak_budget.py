"""Encode Kodak images at a few λ with a stated budget; print them beside the published 3.0 points.

    .venv/bin/python benchmarks/kodak_budget.py --images kodim01,kodim02,kodim03,kodim04 \
        --lambdas 1e-3,4e-3 --preset medium --threads 1 --out benchmarks/results/kodak-budget.tsv

Rows already in ``--out`` for the same image, λ, preset, ``n_itr`` and device are kept and not
encoded again (the run resumes). bpp counts the whole ``.cool`` file; PSNR is over the
decoded RGB (what ``coolchic.decode`` returns).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np
from PIL import Image

import coolchic
from coolchic.api import encoder_options

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COLUMNS = ["image", "lmbda", "preset", "n_itr", "device", "threads", "seconds", "bpp", "psnr_db",
           "c3_bpp", "c3_psnr_db"]


def published(data: Path) -> dict[tuple[str, float], tuple[float, float]]:
    """(image, λ) → (bpp, PSNR) of the official Cool-chic 3.0 Kodak results."""
    with open(data / "coolchic3" / "kodak-results.tsv", newline="") as f:
        return {(r["seq_name"], float(r["lmbda"])): (float(r["rate_bpp"]), float(r["psnr_db"]))
                for r in csv.DictReader(f, delimiter="\t")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default="kodim01,kodim02,kodim03,kodim04")
    parser.add_argument("--lambdas", default="1e-3,4e-3")
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--n-itr", type=int, default=None, help="overrides the preset's n_itr")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="torch device of the encoder: cpu, cuda, cuda:N")
    parser.add_argument("--data", type=Path, default=SHARED,
                        help="folder holding kodak/ and coolchic3/kodak-results.tsv (default ../shared/data)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/kodak-budget.tsv"))
    args = parser.parse_args()

    done: list[dict[str, str]] = []
    if args.out.exists():
        with open(args.out, newline="") as f:
            done = list(csv.DictReader(f, delimiter="\t"))
    options = {} if args.n_itr is None else {"n_itr": args.n_itr}
    n_itr = encoder_options(preset=args.preset, **options).n_itr
    have = {(r["image"], float(r["lmbda"]), r["preset"], int(r["n_itr"]), r["device"]) for r in done}
    reference = published(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.images.split(","):
        for lmbda in (float(x) for x in args.lambdas.split(",")):
            if (name, lmbda, args.preset, n_itr, args.device) in have:
                continue
            with Image.open(args.data / "kodak" / f"{name}.png") as im:
                pixels = np.asarray(im.convert("RGB"))
            start = time.perf_counter()
            result = coolchic.encode(pixels, lmbda=lmbda, preset=args.preset, threads=args.threads,
                                     device=args.device, seed=0, **options)
            seconds = time.perf_counter() - start
            c3_bpp, c3_psnr = reference.get((name, lmbda), (float("nan"), float("nan")))
            done.append({
                "image": name, "lmbda": f"{lmbda:g}", "preset": args.preset,
                "n_itr": str(result.options.n_itr), "device": args.device,
                "threads": str(args.threads),
                "seconds": f"{seconds:.1f}", "bpp": f"{result.bpp:.4f}", "psnr_db": f"{result.psnr_db:.3f}",
                "c3_bpp": f"{c3_bpp:.4f}", "c3_psnr_db": f"{c3_psnr:.3f}",
            })
            with open(args.out, "w", newline="") as f:
                writer = csv.DictWriter(f, COLUMNS, delimiter="\t")
                writer.writeheader()
                writer.writerows(done)
            print("\t".join(done[-1][c] for c in COLUMNS), flush=True)


if __name__ == "__main__":
    main()
