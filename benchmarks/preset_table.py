"""The README's per-preset table: encode time and BD-rates of each preset's committed bench run.

Run (from the repository root, after the ``coolchic bench`` runs it reads)::

    .venv/bin/python benchmarks/preset_table.py \\
        --run fast=benchmarks/results/kodak-rd --run medium=benchmarks/results/kodak-rd-medium \\
        --run slow=benchmarks/results/kodak-rd-slow --timing benchmarks/results/preset_timing.tsv

For each ``PRESET=DIR``: the BD-rate of Cool-chic against each anchor between the
dataset-average curves (as in the bench's ``report.md``; the published 3.0 curve is read from
the TSV named in the run's ``config.json``), the median 1-thread encode seconds of the run's
Cool-chic points (the bench encodes one image at a time; the machine may have been shared)
and, from ``--timing`` (``benchmarks/preset_timing.py``), the latest 2-thread encode time at
quality 60.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from pathlib import Path

from coolchic.evaluation.bdrate import compare
from coolchic.evaluation.coolchic_codec import CoolchicCodec
from coolchic.evaluation.published import PUBLISHED_NAME, load_published
from coolchic.evaluation.report import percent, read_points_tsv
from coolchic.options import PRESETS

ANCHORS = ("avif444", "avif444-s4", "avif420", "heic420", "jxl", "webp", "jpeg420", PUBLISHED_NAME)
MEGAPIXELS_768x512 = 768 * 512 / 1e6


TIMED_QUALITY = 60.0
"""The quality of the 2-thread time in the table (``preset_timing.py``'s default)."""


def _two_thread_seconds(timing: Path | None) -> dict[str, float]:
    """Latest 2-thread CPU ``seconds`` at :data:`TIMED_QUALITY` per preset in a
    ``preset_timing.py`` TSV."""
    if timing is None or not timing.exists():
        return {}
    with timing.open(newline="") as f:
        return {r["preset"]: float(r["seconds"]) for r in csv.DictReader(f, delimiter="\t")
                if r["threads"] == "2" and r["device"] == "cpu" and float(r["quality"]) == TIMED_QUALITY}


def preset_row(preset: str, run: Path, two_threads: dict[str, float]) -> str:
    """One markdown row for the bench run in ``run``."""
    points = read_points_tsv(run / "points.tsv")
    config = json.loads((run / "config.json").read_text())
    if config.get("reference"):
        sizes = {p.image: (p.width, p.height) for p in points}
        published, reason = load_published(Path(config["reference"]), sizes)
        if reason:
            raise SystemExit(f"{run}: {reason}")
        points += published
    ours = [p for p in points if p.codec == "coolchic"]
    images = sorted({p.image for p in ours})
    settings = sorted({p.setting for p in ours})
    cells = []
    for anchor in ANCHORS:
        has_anchor = any(p.codec == anchor for p in points)
        cells.append(percent(compare(points, "coolchic", anchor).bd_rate_average_curve) if has_anchor else "not run")
    one_thread = statistics.median(p.encode_s for p in ours)
    two = two_threads.get(preset)
    two_text = "n/a" if two is None else f"{two:.0f} s ({two / MEGAPIXELS_768x512:.0f} s/Mpix)"
    iterations = str(PRESETS[preset]["n_itr"])
    changes = CoolchicCodec(preset=preset).n_itr_changes()
    if changes:
        iterations += f" ({', '.join(f'{n_itr} from λ {start:g}' for start, n_itr in changes)})"
    return (f"| {preset} | {iterations} | {two_text} | {one_thread:.0f} s | "
            f"{len(images)} x {len(settings)} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", action="append", required=True, metavar="PRESET=DIR")
    parser.add_argument("--timing", type=Path, default=None)
    args = parser.parse_args()
    two_threads = _two_thread_seconds(args.timing)
    print("| preset | iterations | encode, 2 threads (kodim01) | encode, 1 thread (median of run) "
          "| images x λ | " + " | ".join(f"vs {a}" for a in ANCHORS) + " |")
    print("|---|---:|---:|---:|---:|" + "---:|" * len(ANCHORS))
    for item in args.run:
        preset, _, folder = item.partition("=")
        if preset not in PRESETS or not folder:
            parser.error(f"--run: expected PRESET=DIR with PRESET in {', '.join(PRESETS)}, got {item!r}")
        print(preset_row(preset, Path(folder), two_threads))


if __name__ == "__main__":
    main()
