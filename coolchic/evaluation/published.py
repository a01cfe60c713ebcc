"""The published Cool-chic 3.0 results (``results.tsv``: seq_name, lmbda, rate_bpp, n_pixels,
psnr_db) as benchmark points of a pseudo-codec."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path

from coolchic.evaluation.sweep import Point

PUBLISHED_NAME = "coolchic3-published"


def load_published(tsv: Path, sizes: Mapping[str, tuple[int, int]]) -> tuple[list[Point], str | None]:
    """Published points for the images of ``sizes`` (name -> (width, height)), or
    ``([], reason)`` when they are not comparable.

    Comparable means every image appears in the TSV under its name with the same pixel count
    (a cropped run is not comparable with full-image results).
    """
    rows: dict[str, list[dict[str, str]]] = {}
    with tsv.open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows.setdefault(row["seq_name"], []).append(row)
    points = []
    for name, (width, height) in sizes.items():
        if name not in rows:
            return [], f"image {name!r} is not in {tsv.name}"
        for row in rows[name]:
            n_pixels = int(row["n_pixels"])
            if n_pixels != width * height:
                return [], (
                    f"{name} has {width * height} pixels here but "
                    f"{n_pixels} in {tsv.name} (cropped run?)"
                )
            bpp = float(row["rate_bpp"])
            points.append(Point(
                codec=PUBLISHED_NAME, image=name, param="lmbda",
                setting=float(row["lmbda"]), width=width, height=height,
                n_bytes=round(bpp * n_pixels / 8), bpp=bpp, psnr_rgb=float(row["psnr_db"]),
                encode_s=math.nan, decode_s=math.nan,
            ))
    return points, None


def find_published(image_dir: Path) -> Path | None:
    """The published Kodak results beside a Kodak folder laid out as in ``shared/data``
    (``<data>/kodak/`` and ``<data>/coolchic3/kodak-results.tsv``), if present."""
    candidate = image_dir.parent / "coolchic3" / f"{image_dir.name}-results.tsv"
    return candidate if candidate.is_file() else None
