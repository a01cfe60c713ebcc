"""Bjøntegaard deltas between codecs, per image and on the dataset-average curve.

Rates and PSNRs go to the ``bjontegaard`` package (PCHIP interpolation of log-rate as a
function of PSNR, integrated over the PSNR interval both curves cover). A negative BD-rate
means the test codec needs fewer bits than the anchor for the same PSNR.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from coolchic.evaluation.sweep import Point

Curve = list[tuple[float, float]]
"""(bpp, PSNR dB) points."""

BD_METHOD = "pchip"


def pareto_front(curve: Curve) -> Curve:
    """Points sorted by rate keeping only those whose PSNR beats every cheaper point.

    Interpolating rate as a function of PSNR needs a strictly monotone curve; a point that
    costs more bits for no PSNR gain is never a useful operating point anyway.
    """
    front: Curve = []
    for bpp, psnr in sorted(curve):
        if math.isfinite(psnr) and (not front or psnr > front[-1][1]):
            front.append((bpp, psnr))
    return front


def psnr_overlap(anchor: Curve, test: Curve) -> float:
    """Length of the common PSNR interval over the length of the union (0 … 1)."""
    a = [p for _, p in anchor]
    t = [p for _, p in test]
    union = max(max(a), max(t)) - min(min(a), min(t))
    common = min(max(a), max(t)) - max(min(a), min(t))
    return max(common, 0.0) / union if union > 0 else 0.0


def _delta(kind: str, anchor: Curve, test: Curve) -> float:
    import bjontegaard

    anchor, test = pareto_front(anchor), pareto_front(test)
    if len(anchor) < 2 or len(test) < 2 or psnr_overlap(anchor, test) == 0.0:
        return math.nan
    fn = bjontegaard.bd_rate if kind == "rate" else bjontegaard.bd_psnr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the overlap is reported beside the value instead
        value = fn(
            [r for r, _ in anchor], [p for _, p in anchor],
            [r for r, _ in test], [p for _, p in test],
            method=BD_METHOD, require_matching_points=False, min_overlap=0.0,
        )
    return float(value)


def bd_rate(anchor: Curve, test: Curve) -> float:
    """BD-rate in percent of ``test`` against ``anchor``; NaN when the curves do not overlap."""
    return _delta("rate", anchor, test)


def bd_psnr(anchor: Curve, test: Curve) -> float:
    """BD-PSNR in dB of ``test`` against ``anchor``; NaN when the rates do not overlap."""
    return _delta("psnr", anchor, test)


def image_curves(points: list[Point], codec: str) -> dict[str, Curve]:
    """Per-image (bpp, PSNR) curves of ``codec``."""
    curves: dict[str, Curve] = defaultdict(list)
    for p in points:
        if p.codec == codec:
            curves[p.image].append((p.bpp, p.psnr_rgb))
    return dict(curves)


def average_curve(points: list[Point], codec: str) -> list[Point]:
    """Dataset-average curve of ``codec``: mean bpp, PSNR and times per setting.

    Every setting must have been measured on the same images (as the sweep does), so that
    each average is over the same set.
    """
    by_setting: dict[float, list[Point]] = defaultdict(list)
    for p in points:
        if p.codec == codec:
            by_setting[p.setting].append(p)
    images = {s: sorted(p.image for p in ps) for s, ps in by_setting.items()}
    if len({tuple(v) for v in images.values()}) > 1:
        raise ValueError(f"codec {codec!r}: settings were measured on different images")
    average = []
    for setting, ps in sorted(by_setting.items()):
        first = ps[0]
        average.append(Point(
            codec=codec, image="average", param=first.param, setting=setting,
            width=first.width, height=first.height,
            n_bytes=round(float(np.mean([p.n_bytes for p in ps]))),
            bpp=float(np.mean([p.bpp for p in ps])),
            psnr_rgb=float(np.mean([p.psnr_rgb for p in ps])),
            encode_s=float(np.mean([p.encode_s for p in ps])),
            decode_s=float(np.mean([p.decode_s for p in ps])),
        ))
    return average


@dataclass(frozen=True)
class BDRow:
    """BD figures of the test codec against one anchor."""

    anchor: str
    bd_rate_per_image: float
    """Mean over images of the per-image BD-rate (%), NaN images left out."""
    n_images: int
    n_valid: int
    """Images whose curves overlapped (those that enter the mean)."""
    bd_rate_average_curve: float
    """BD-rate (%) between the dataset-average curves."""
    bd_psnr_average_curve: float
    overlap: float
    """PSNR overlap (0 … 1) of the two average curves."""
    per_image: dict[str, float]
    """Each common image's BD-rate (%), NaN where the curves do not overlap."""


def compare(points: list[Point], test: str, anchor: str) -> BDRow:
    """BD-rate of ``test`` against ``anchor`` on the images both were measured on."""
    test_curves, anchor_curves = image_curves(points, test), image_curves(points, anchor)
    common = sorted(set(test_curves) & set(anchor_curves))
    if not common:
        raise ValueError(f"codecs {test!r} and {anchor!r} share no image")
    per_image = {i: bd_rate(anchor_curves[i], test_curves[i]) for i in common}
    valid = [v for v in per_image.values() if math.isfinite(v)]
    kept = [p for p in points if p.image in common]
    avg_test = [(p.bpp, p.psnr_rgb) for p in average_curve(kept, test)]
    avg_anchor = [(p.bpp, p.psnr_rgb) for p in average_curve(kept, anchor)]
    return BDRow(
        anchor=anchor,
        bd_rate_per_image=float(np.mean(valid)) if valid else math.nan,
        n_images=len(common),
        n_valid=len(valid),
        bd_rate_average_curve=bd_rate(avg_anchor, avg_test),
        bd_psnr_average_curve=bd_psnr(avg_anchor, avg_test),
        overlap=psnr_overlap(pareto_front(avg_anchor), pareto_front(avg_test))
        if avg_anchor and avg_test else 0.0,
        per_image=per_image,
    )
