"""Benchmark outputs: TSV of every point, CompressAI JSON, markdown report, RD plot."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from coolchic.evaluation.bdrate import BDRow
from coolchic.evaluation.sweep import Point, format_setting


def write_points_tsv(points: list[Point], path: Path) -> None:
    """One row per point, columns named as the :class:`Point` fields."""
    names = [f.name for f in fields(Point)]
    with path.open("w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(names)
        for p in points:
            writer.writerow([getattr(p, n) for n in names])


def read_points_tsv(path: Path) -> list[Point]:
    """The points of a :func:`write_points_tsv` file."""
    convert = {f.name: {"str": str, "int": int, "float": float}[str(f.type)] for f in fields(Point)}
    with path.open(newline="") as f:
        return [Point(**{k: convert[k](v) for k, v in row.items()}) for row in csv.DictReader(f, delimiter="\t")]


def compressai_json(name: str, description: str, average: list[Point]) -> dict[str, Any]:
    """CompressAI's results schema for a dataset-average curve (lowest rate first)."""
    ordered = sorted(average, key=lambda p: p.bpp)
    results: dict[str, list[float]] = {
        "bpp": [p.bpp for p in ordered],
        "psnr-rgb": [p.psnr_rgb for p in ordered],
    }
    if all(math.isfinite(p.encode_s) for p in ordered):
        results["encoding_time"] = [p.encode_s for p in ordered]
        results["decoding_time"] = [p.decode_s for p in ordered]
    results[ordered[0].param if ordered else "setting"] = [p.setting for p in ordered]
    return {"name": name, "description": description, "results": results}


def write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def percent(value: float) -> str:
    """``+12.3 %``, or ``n/a`` for a NaN / infinite value."""
    return "n/a" if not math.isfinite(value) else f"{value:+.1f} %"


def bd_table(test: str, rows: list[BDRow]) -> str:
    """Markdown table of the BD figures of ``test`` against each anchor."""
    lines = [
        f"| {test} vs | BD-rate, mean of per-image | images | BD-rate, average curve "
        "| BD-PSNR, average curve | PSNR overlap |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        psnr = "n/a" if not math.isfinite(r.bd_psnr_average_curve) else (
            f"{r.bd_psnr_average_curve:+.2f} dB")
        lines.append(
            f"| {r.anchor} | {percent(r.bd_rate_per_image)} | {r.n_valid}/{r.n_images} "
            f"| {percent(r.bd_rate_average_curve)} | {psnr} | {r.overlap:.0%} |"
        )
    return "\n".join(lines)


def curves_table(averages: dict[str, list[Point]]) -> str:
    """Markdown table of every dataset-average point."""
    lines = [
        "| codec | setting | bpp | PSNR-RGB (dB) | encode (s) | decode (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for codec, average in averages.items():
        for p in sorted(average, key=lambda q: q.bpp):
            enc = "—" if not math.isfinite(p.encode_s) else f"{p.encode_s:.3f}"
            dec = "—" if not math.isfinite(p.decode_s) else f"{p.decode_s:.3f}"
            lines.append(
                f"| {codec} | {p.param}={format_setting(p.setting)} | {p.bpp:.4f} "
                f"| {p.psnr_rgb:.2f} | {enc} | {dec} |"
            )
    return "\n".join(lines)


def config_lines(config: dict[str, Any]) -> list[str]:
    """Markdown bullet list of the run configuration (``config.json`` has every detail)."""
    lines = [
        f"- command: `{config['command']}`" if config.get("command") else "- command: (API call)",
        f"- images ({len(config['images'])}, {', '.join(config['image_size'])}"
        f"{', crop ' + config['crop'] if config.get('crop') else ''}): "
        f"{', '.join(config['images'])} from `{config['image_dir']}`",
        f"- threads per encoder/decoder: {config['threads']}",
        f"- machine: {config['environment']['machine']}; date {config['environment']['date']}",
    ]
    for name, codec in config["codecs"].items():
        swept = next(k for k in ("quality", "lmbda") if k in codec)
        values = ", ".join(format_setting(v) for v in codec[swept])
        lines.append(f"- **{name}**: {codec['description']}; {swept} = {values}")
    for name, reason in config.get("not_run", {}).items():
        lines.append(f"- **{name}**: NOT RUN ({reason})")
    if config.get("reference"):
        lines.append(f"- published Cool-chic 3.0 results: `{config['reference']}`")
    return lines


def markdown_report(
    title: str,
    config: dict[str, Any],
    test: str,
    rows: list[BDRow],
    averages: dict[str, list[Point]],
    notes: list[str],
) -> str:
    """The whole markdown report: configuration, notes, BD table, average curves."""
    parts = [f"# {title}", "", "## Configuration", "", *config_lines(config), ""]
    if notes:
        parts += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    parts += ["## BD-rate", ""]
    if rows:
        parts += [
            f"Negative: {test} needs fewer bits than the other codec at equal PSNR-RGB. "
            "Per-image: mean of the BD-rates of each image (images whose curves do not "
            "overlap left out); average curve: BD-rate between the dataset-average curves "
            "(mean bpp and mean PSNR per setting). PCHIP interpolation (`bjontegaard`).",
            "",
            bd_table(test, rows),
        ]
    else:
        parts.append(f"No BD-rate: the test codec {test!r} has no points (see notes).")
    parts += ["", "## Dataset-average points", "", curves_table(averages), ""]
    return "\n".join(parts)


def plot_rd(
    averages: dict[str, list[Point]], path: Path, title: str, focus: list[str] | None = None
) -> None:
    """PNG of bpp vs PSNR-RGB, one curve per codec (the published curve dashed).

    The view is zoomed on the rate range of the ``focus`` curves (when they exist), so that
    the high-rate tail of the quality sweeps does not squeeze the interesting part.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6), dpi=110)
    for codec, average in averages.items():
        ordered = sorted(average, key=lambda p: p.bpp)
        style = "--" if not math.isfinite(ordered[0].encode_s) else "-"
        width = 2.2 if codec.startswith("coolchic") else 1.3
        ax.plot([p.bpp for p in ordered], [p.psnr_rgb for p in ordered], style,
                marker="o", markersize=3, linewidth=width, label=codec)
    focused = [p for name in focus or [] for p in averages.get(name, [])]
    if focused:
        x_max = 1.3 * max(p.bpp for p in focused)
        visible = [p.psnr_rgb for a in averages.values() for p in a
                   if p.bpp <= x_max and math.isfinite(p.psnr_rgb)]
        ax.set_xlim(0, x_max)
        ax.set_ylim(min(visible) - 0.5, max(visible) + 0.5)
    ax.set_xlabel("rate (bpp, whole file)")
    ax.set_ylabel("PSNR-RGB (dB)")
    ax.set_title(title, fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def config_dict(obj: Any) -> Any:
    """JSON-friendly copy of a dataclass config (paths as strings)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: config_dict(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): config_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [config_dict(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj
