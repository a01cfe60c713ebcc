"""BD-rate against the published Cool-chic 3.0 Kodak curve of points written by ``kodak_budget.py``.

    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-slow.tsv \
        benchmarks/results/gpu-h200-slow.tsv

Per image: our points (one per λ) against the image's five published points. Then, as in the
bench reports (:func:`coolchic.evaluation.bdrate.compare`), the mean of those and the BD-rate
between the average curves (ours over its λ, the published one over all five). PCHIP;
positive means we need more bits.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

from coolchic.evaluation.bdrate import bd_rate, compare, image_curves
from coolchic.evaluation.published import PUBLISHED_NAME, load_published
from coolchic.evaluation.sweep import Point

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KODAK_SIZE = (768, 512)
OURS = "coolchic"


def budget_points(path: Path) -> list[Point]:
    """The rows of a ``kodak_budget.py`` TSV as bench points (768x512 Kodak images)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    width, height = KODAK_SIZE
    return [Point(codec=OURS, image=r["image"], param="lmbda", setting=float(r["lmbda"]), width=width,
                  height=height, n_bytes=round(float(r["bpp"]) * width * height / 8), bpp=float(r["bpp"]),
                  psnr_rgb=float(r["psnr_db"]), encode_s=float(r["seconds"]), decode_s=math.nan)
            for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tsv", nargs="+", type=Path, help="kodak_budget.py outputs")
    parser.add_argument("--data", type=Path, default=SHARED, help="folder holding coolchic3/kodak-results.tsv")
    args = parser.parse_args()

    ours = [p for path in args.tsv for p in budget_points(path)]
    images = {p.image: KODAK_SIZE for p in ours}
    published, reason = load_published(args.data / "coolchic3" / "kodak-results.tsv", images)
    if reason:
        raise SystemExit(reason)
    points = ours + published
    anchor_curves = image_curves(points, PUBLISHED_NAME)
    for image, curve in sorted(image_curves(points, OURS).items()):
        lambdas = ", ".join(f"{p.setting:g}" for p in sorted(ours, key=lambda p: p.setting) if p.image == image)
        print(f"{image}  λ {lambdas}: BD-rate vs 3.0 {bd_rate(anchor_curves[image], curve):+.1f} %")
    row = compare(points, OURS, PUBLISHED_NAME)
    print(f"mean of per-image: {row.bd_rate_per_image:+.1f} % ({row.n_valid} of {row.n_images} images)")
    print(f"average curve: {row.bd_rate_average_curve:+.1f} %")


if __name__ == "__main__":
    main()
