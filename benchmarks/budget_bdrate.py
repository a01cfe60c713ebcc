"""BD-rate against the published Cool-chic 3.0 Kodak curve of points written by ``kodak_budget.py``.

    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-slow.tsv \
        benchmarks/results/gpu-h200-slow.tsv
    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-medium.tsv \
        --bench benchmarks/results/kodak-rd-medium

The points may also come from a whole-image ``recipe_study.py`` TSV (``--crop 0``): its rows of
``--variant`` (the encode time is then the fit time). ``--variant`` may name several labels of
one recipe, comma-separated, when a file holds it under an older name too::

    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-medium-t4.tsv \
        --variant lean-T.4-.1 --bench benchmarks/results/kodak-rd-medium
    .venv/bin/python benchmarks/budget_bdrate.py benchmarks/results/gpu-h100-slow-t4.tsv \
        --variant lean,lean-T.4-.1

With ``--bench`` (a ``coolchic bench`` output folder) the points are also compared with every
other codec of that run on the same images, our points taking the place of its Cool-chic ones
(``--per-image`` adds each image's BD-rate).

Per image: our points (one per λ) against the image's five published points. Then, as in the
bench reports (:func:`coolchic.evaluation.bdrate.compare`), the mean of those and the BD-rate
between the average curves (ours over its λ, the published one over all five). PCHIP;
positive means we need more bits.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections import Counter
from pathlib import Path

from coolchic.evaluation.bdrate import compare
from coolchic.evaluation.published import PUBLISHED_NAME, load_published
from coolchic.evaluation.report import read_points_tsv
from coolchic.evaluation.sweep import Point

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
KODAK_SIZE = (768, 512)
OURS = "coolchic"


def budget_points(path: Path, variants: list[str] | None = None) -> list[Point]:
    """The rows of a ``kodak_budget.py`` TSV as bench points (768x512 Kodak images), or the
    whole-image rows of a ``recipe_study.py`` TSV whose variant is one of ``variants``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if rows and "variant" in rows[0]:
        if not variants:
            raise SystemExit(f"{path}: a recipe_study.py TSV; name the rows' --variant")
        rows = [r for r in rows if r["variant"] in variants and r["crop"] == "0"]
        if not rows:
            raise SystemExit(f"{path}: no whole-image rows of variant {', '.join(variants)}")
    width, height = KODAK_SIZE
    return [Point(codec=OURS, image=r["image"], param="lmbda", setting=float(r["lmbda"]), width=width,
                  height=height, n_bytes=round(float(r["bpp"]) * width * height / 8), bpp=float(r["bpp"]),
                  psnr_rgb=float(r["psnr_db"]), encode_s=float(r.get("seconds") or r["fit_s"]),
                  decode_s=math.nan)
            for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tsv", nargs="+", type=Path, help="kodak_budget.py (or recipe_study.py) outputs")
    parser.add_argument("--variant", help="the recipe_study.py variant(s) whose rows to read, comma-separated")
    parser.add_argument("--data", type=Path, default=SHARED, help="folder holding coolchic3/kodak-results.tsv")
    parser.add_argument("--bench", type=Path, help="a `coolchic bench` output folder: compare with its other codecs too")
    parser.add_argument("--per-image", action="store_true", help="with --bench, also each image's BD-rate")
    args = parser.parse_args()

    variants = args.variant.split(",") if args.variant else None
    ours = [p for path in args.tsv for p in budget_points(path, variants)]
    repeated = sorted(key for key, n in Counter((p.image, p.setting) for p in ours).items() if n > 1)
    if repeated:
        raise SystemExit(f"more than one row for image and λ {repeated}: name fewer variants or files")
    images = {p.image: KODAK_SIZE for p in ours}
    published, reason = load_published(args.data / "coolchic3" / "kodak-results.tsv", images)
    if reason:
        raise SystemExit(reason)
    row = compare(ours + published, OURS, PUBLISHED_NAME)
    for image, bd in row.per_image.items():
        lambdas = ", ".join(f"{p.setting:g}" for p in sorted(ours, key=lambda p: p.setting) if p.image == image)
        print(f"{image}  λ {lambdas}: BD-rate vs 3.0 {bd:+.1f} %")
    print(f"mean of per-image: {row.bd_rate_per_image:+.1f} % ({row.n_valid} of {row.n_images} images)")
    print(f"average curve: {row.bd_rate_average_curve:+.1f} %")
    if args.bench:
        others = [p for p in read_points_tsv(args.bench / "points.tsv") if p.codec != OURS and p.image in images]
        print("against the other codecs of", args.bench, "(average curve; mean of per-image):")
        for codec in sorted({p.codec for p in others}):
            row = compare(ours + others, OURS, codec)
            line = (f"  {codec:12s} {row.bd_rate_average_curve:+6.1f} %  {row.bd_rate_per_image:+6.1f} %"
                    f" ({row.n_valid} of {row.n_images} images)")
            if args.per_image:
                line += ": " + ", ".join(f"{image} {bd:+.1f}" for image, bd in row.per_image.items())
            print(line)


if __name__ == "__main__":
    main()
