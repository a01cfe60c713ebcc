"""One benchmark run: configuration, sweep, BD analysis and all outputs."""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from coolchic.evaluation.bdrate import BDRow, average_curve, compare
from coolchic.evaluation.codecs import Codec, classic_codecs
from coolchic.evaluation.coolchic_codec import REFERENCE_N_ITR, CoolchicCodec
from coolchic.evaluation.images import load_images
from coolchic.evaluation.published import PUBLISHED_NAME, load_published
from coolchic.evaluation.report import (
    compressai_json,
    config_dict,
    markdown_report,
    plot_rd,
    write_json,
    write_points_tsv,
)
from coolchic.evaluation.sweep import Point, ProgressCallback, run_sweep

LIBRARIES = ("coolchic", "pillow", "pillow-heif", "pillow-jxl-plugin", "bjontegaard", "torch")


@dataclass
class BenchConfig:
    """Everything that defines a benchmark run (written into its outputs)."""

    image_dir: Path
    outdir: Path
    images: list[str] | None = None
    """Image names (file stems); ``None``: every image of ``image_dir``."""
    crop: tuple[int, int] | None = None
    """Centre crop ``(width, height)`` applied to every image."""
    codecs: list[str] | None = None
    """Codec names; ``None``: all known, those not installed reported and left out."""
    settings: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Per-codec setting lists replacing the defaults."""
    n_itr: int | None = None
    n_train_loops: int | None = None
    preset: str | None = None
    time_limit: float | None = None
    """Seconds per Cool-chic encode (``EncoderOptions.time_limit``)."""
    threads: int = 1
    test: str = "coolchic"
    """The codec whose BD-rate against every other is reported."""
    reference: Path | None = None
    """Published Cool-chic 3.0 results TSV, used when the images match it."""
    command: str | None = None
    """The command line that started the run, recorded for reproducibility."""


@dataclass
class BenchResult:
    """What a run produced."""

    points: list[Point]
    averages: dict[str, list[Point]]
    bd_rows: list[BDRow]
    unavailable: dict[str, str]
    notes: list[str]
    files: dict[str, Path]


def all_codecs(config: BenchConfig) -> dict[str, Codec]:
    """Every codec the harness knows, configured from ``config``."""
    codecs = classic_codecs(config.threads)
    codecs["coolchic"] = CoolchicCodec(
        n_itr=config.n_itr, n_train_loops=config.n_train_loops, preset=config.preset,
        time_limit=config.time_limit, threads=config.threads,
    )
    return codecs


def _check_positive_int(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def validate(config: BenchConfig, known: dict[str, Codec]) -> None:
    """Raise ``ValueError`` naming the option for any bad setting of ``config``."""
    _check_positive_int("--n-itr", config.n_itr)
    _check_positive_int("--n-train-loops", config.n_train_loops)
    _check_positive_int("--threads", config.threads)
    if config.time_limit is not None and not config.time_limit > 0:
        raise ValueError(f"--time-limit must be a number of seconds > 0, got {config.time_limit!r}")
    names = config.codecs if config.codecs is not None else list(known)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(
            f"--codecs: unknown {', '.join(unknown) or '(empty list)'}; known: {', '.join(known)}"
        )
    if len(set(names)) != len(names):
        raise ValueError("--codecs lists a codec twice")
    if config.test not in names:
        raise ValueError(f"--test {config.test!r} is not among the codecs run ({', '.join(names)})")
    for name, values in config.settings.items():
        if name not in names:
            raise ValueError(f"--settings: codec {name!r} is not among the codecs run")
        if len(values) < 2 or len(set(values)) != len(values):
            raise ValueError(f"--settings {name}: give at least two distinct values")
        if known[name].param == "quality" and not all(0 <= v <= 100 and v == int(v) for v in values):
            raise ValueError(f"--settings {name}: qualities are integers in 0..100")
        if known[name].param == "lmbda" and not all(v > 0 for v in values):
            raise ValueError(f"--settings {name}: λ values must be > 0")
    if config.reference is not None and not config.reference.is_file():
        raise ValueError(f"--reference {str(config.reference)!r} is not a file")


def select_codecs(config: BenchConfig, known: dict[str, Codec]) -> tuple[list[Codec], dict[str, str]]:
    """The codecs to run and, by name, why the others of the selection cannot run here.

    A codec the user named explicitly that cannot run is an error, not a silent omission.
    """
    names = config.codecs if config.codecs is not None else list(known)
    unavailable = {n: r for n in names if (r := known[n].unavailable_reason()) is not None}
    if unavailable and config.codecs is not None:
        details = "; ".join(f"{n}: {r}" for n, r in unavailable.items())
        raise ValueError(f"--codecs: cannot run {details}")
    return [known[n] for n in names if n not in unavailable], unavailable


def _environment() -> dict[str, Any]:
    versions = {}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "versions": versions,
    }


def budget_notes(config: BenchConfig, codecs: list[Codec]) -> list[str]:
    """Warnings the report must carry about a reduced Cool-chic budget or a crop."""
    notes = []
    for codec in codecs:
        if isinstance(codec, CoolchicCodec):
            budget = codec.effective_budget()
            if budget["n_itr"] < REFERENCE_N_ITR:
                notes.append(
                    f"REDUCED BUDGET: Cool-chic trained with n_itr={budget['n_itr']}, "
                    f"n_train_loops={budget['n_train_loops']}, recipe {budget['recipe']} (the 3.0 reference CLI uses "
                    f"n_itr={REFERENCE_N_ITR}); its curve is below what the format can reach."
                )
    if config.crop is not None:
        notes.append(f"Images centre-cropped to {config.crop[0]}x{config.crop[1]}.")
    return notes


def run_benchmark(config: BenchConfig, progress: ProgressCallback | None = None) -> BenchResult:
    """Run the whole benchmark described by ``config`` and write its outputs."""
    known = all_codecs(config)
    validate(config, known)
    codecs, unavailable = select_codecs(config, known)
    images = load_images(config.image_dir, config.images, config.crop)
    settings = {c.name: config.settings.get(c.name, c.default_settings) for c in codecs}
    outdir = config.outdir
    outdir.mkdir(parents=True, exist_ok=True)

    points = run_sweep(codecs, settings, images, outdir, progress)

    notes = budget_notes(config, codecs)
    notes += [f"Codec {n} not run: {r}." for n, r in unavailable.items()]
    published: list[Point] = []
    if config.reference is not None:
        published, reason = load_published(config.reference, {im.name: (im.width, im.height) for im in images})
        if reason:
            notes.append(f"Published Cool-chic 3.0 curve not used: {reason}.")
    run_names = [c.name for c in codecs]
    averages = {n: average_curve(points, n) for n in run_names}
    if published:
        averages[PUBLISHED_NAME] = average_curve(published, PUBLISHED_NAME)
    anchors = [n for n in averages if n != config.test]
    all_points = points + published
    rows = [compare(all_points, config.test, a) for a in anchors] if config.test in run_names else []

    descriptions = {c.name: c.description for c in codecs}
    descriptions[PUBLISHED_NAME] = f"Cool-chic 3.0 published results ({config.reference})"
    run_config = {
        "command": config.command,
        "image_dir": str(config.image_dir),
        "images": [im.name for im in images],
        "image_size": sorted({f"{im.width}x{im.height}" for im in images}),
        "crop": None if config.crop is None else f"{config.crop[0]}x{config.crop[1]}",
        "threads": config.threads,
        "test": config.test,
        "reference": None if config.reference is None else str(config.reference),
        "codecs": {
            c.name: {"description": c.description, "options": config_dict(c.options()),
                     c.param: list(settings[c.name])}
            for c in codecs
        },
        "not_run": unavailable,
        "environment": _environment(),
    }
    files = {
        "config": outdir / "config.json",
        "points": outdir / "points.tsv",
        "report": outdir / "report.md",
        "plot": outdir / "rd.png",
    }
    write_json(run_config, files["config"])
    write_points_tsv(points, files["points"])
    (outdir / "compressai").mkdir(exist_ok=True)
    for name, average in averages.items():
        path = outdir / "compressai" / f"{name}.json"
        write_json(compressai_json(name, descriptions[name], average), path)
        files[f"compressai:{name}"] = path
    reduced = any(
        isinstance(c, CoolchicCodec) and c.effective_budget()["n_itr"] < REFERENCE_N_ITR for c in codecs
    )
    title = f"RD benchmark: {len(images)} image(s) of {config.image_dir.name}" + (
        ", reduced Cool-chic budget" if reduced else ""
    )
    files["report"].write_text(
        markdown_report(title, run_config, config.test, rows, averages, notes)
    )
    plot_title = title + "".join(
        f"\n{c.description}" for c in codecs if isinstance(c, CoolchicCodec)
    )
    plot_rd(averages, files["plot"], plot_title, focus=[config.test, PUBLISHED_NAME])
    return BenchResult(points, averages, rows, unavailable, notes, files)
