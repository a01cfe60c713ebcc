"""BD-rate against the published Cool-chic 3.0 Kodak curve of points written by ``kodak_budget.py``.

    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-slow.tsv \
        benchmarks/results/gpu-h200-slow.tsv

Per image: our points (one per λ) against the image's five published points. Then the
average curve: per λ that every image has, the mean bpp and PSNR of our points, against
the mean of the published points over the same images (all five λ). PCHIP, as
:func:`coolchic.evaluation.bdrate.bd_rate`; positive means we need more bits.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path

from coolchic.evaluation.bdrate import Curve, bd_rate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def mean_curve(points: dict[str, dict[float, tuple[float, float]]], lambdas: set[float]) -> Curve:
    """Per λ in ``lambdas``: mean (bpp, PSNR) over the images of ``points``."""
    return sorted(
        (statistics.fmean(points[i][lm][0] for i in points), statistics.fmean(points[i][lm][1] for i in points))
        for lm in lambdas
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tsv", nargs="+", type=Path, help="kodak_budget.py outputs")
    parser.add_argument("--data", type=Path, default=SHARED, help="folder holding coolchic3/kodak-results.tsv")
    args = parser.parse_args()

    ours: dict[str, dict[float, tuple[float, float]]] = defaultdict(dict)
    for path in args.tsv:
        for row in read_tsv(path):
            ours[row["image"]][float(row["lmbda"])] = (float(row["bpp"]), float(row["psnr_db"]))
    published: dict[str, dict[float, tuple[float, float]]] = defaultdict(dict)
    for row in read_tsv(args.data / "coolchic3" / "kodak-results.tsv"):
        if row["seq_name"] in ours:
            published[row["seq_name"]][float(row["lmbda"])] = (float(row["rate_bpp"]), float(row["psnr_db"]))

    per_image = []
    for image in sorted(ours):
        value = bd_rate(sorted(published[image].values()), sorted(ours[image].values()))
        per_image.append(value)
        lambdas = ", ".join(f"{lm:g}" for lm in sorted(ours[image]))
        print(f"{image}  λ {lambdas}: BD-rate vs 3.0 {value:+.1f} %")
    common = set.intersection(*(set(points) for points in ours.values()))
    average = bd_rate(mean_curve(published, set(next(iter(published.values())))), mean_curve(ours, common))
    print(f"mean of per-image: {statistics.fmean(per_image):+.1f} % ({len(per_image)} images)")
    print(f"average curve (λ {', '.join(f'{lm:g}' for lm in sorted(common))}): {average:+.1f} %")


if __name__ == "__main__":
    main()
