"""``coolchic bench``: rate–distortion benchmark against JPEG, WebP, AVIF, HEIC and JPEG XL."""

from __future__ import annotations

import math
import shlex
import time
from pathlib import Path

import click

from coolchic.evaluation.sweep import Point, format_setting


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _floats(text: str, option: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in _split(text) or [])
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {text!r}", param_hint=option)


def _parse_settings(values: tuple[str, ...], lambdas: str | None) -> dict[str, tuple[float, ...]]:
    settings: dict[str, tuple[float, ...]] = {}
    for item in values:
        name, sep, rest = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected CODEC=V1,V2,..., got {item!r}", param_hint="--settings")
        settings[name.strip()] = _floats(rest, "--settings")
    if lambdas is not None:
        settings["coolchic"] = _floats(lambdas, "--lambdas")
    return settings


class ProgressLine:
    """One stderr line per point: counter, codec, image, setting, result, ETA."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.computed = 0

    def __call__(self, done: int, total: int, point: Point, from_cache: bool) -> None:
        if not from_cache:
            self.computed += 1
        elapsed = time.monotonic() - self.start
        eta = ""
        if self.computed and done < total:
            eta = f"  ETA {elapsed / self.computed * (total - done) / 60:.1f} min (upper bound)"
        status = "cached" if from_cache else f"enc {point.encode_s:.2f} s, dec {point.decode_s:.3f} s"
        psnr = "inf" if math.isinf(point.psnr_rgb) else f"{point.psnr_rgb:.2f}"
        click.echo(
            f"[{done:>{len(str(total))}}/{total}] {point.codec:<8} {point.image:<10} "
            f"{point.param}={format_setting(point.setting):<7} {point.bpp:7.4f} bpp "
            f"{psnr:>6} dB ({status}){eta}",
            err=True,
        )


def _command_line(ctx: click.Context) -> str:
    """The equivalent ``coolchic bench`` command line of this run (non-default options)."""
    words = ["coolchic", "bench", str(ctx.params["image_dir"])]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        value = ctx.params.get(param.name)
        if value in (None, False, ()) or value == param.default:
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            words.append(flag)
        else:
            for item in value if param.multiple else [value]:
                words += [flag, str(item)]
    return shlex.join(words)


def _list_codecs() -> None:
    from coolchic.evaluation.benchmark import BenchConfig, all_codecs

    for name, codec in all_codecs(BenchConfig(Path("."), Path("."))).items():
        reason = codec.unavailable_reason()
        state = "available" if reason is None else f"NOT AVAILABLE: {reason}"
        click.echo(f"{name:<8} {codec.description} [{state}]")


@click.command("bench")
@click.argument("image_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (also holds the cache that makes reruns resume).")
@click.option("--images", help="Comma-separated image names (file stems), e.g. kodim01,kodim05.")
@click.option("--codecs", help="Comma-separated codecs (default: all; see --list-codecs).")
@click.option("--crop", help="Centre-crop every image to WIDTHxHEIGHT, e.g. 256x256.")
@click.option("--lambdas", help="Cool-chic λ values (default: the published 1e-4,4e-4,1e-3,4e-3,2e-2).")
@click.option("--settings", multiple=True, metavar="CODEC=V1,V2,...",
              help="Replace a codec's quality (or λ) sweep; repeatable.")
@click.option("--n-itr", type=int, help="Cool-chic training iterations (budget).")
@click.option("--n-train-loops", type=int, help="Cool-chic independent training runs.")
@click.option("--preset", help="Cool-chic encoder preset.")
@click.option("--time-limit", type=float, metavar="SECONDS",
              help="Cool-chic: at most this long per encode (fewer iterations on a slower machine).")
@click.option("--threads", type=int, default=1, show_default=True,
              help="Threads per encoder and decoder, for every codec that allows it.")
@click.option("--test", "test_codec", default="coolchic", show_default=True,
              help="Codec whose BD-rate against each other codec is reported.")
@click.option("--reference", type=click.Path(dir_okay=False, path_type=Path),
              help="Published Cool-chic 3.0 results TSV (default: found beside a Kodak folder).")
@click.option("--no-reference", is_flag=True, help="Do not compare with the published curve.")
@click.option("--list-codecs", is_flag=True, help="List the codecs and whether they can run here.")
@click.option("-q", "--quiet", is_flag=True, help="No per-point progress lines.")
def bench_command(
    image_dir: Path | None, outdir: Path | None, images: str | None, codecs: str | None,
    crop: str | None, lambdas: str | None, settings: tuple[str, ...], n_itr: int | None,
    n_train_loops: int | None, preset: str | None, time_limit: float | None, threads: int, test_codec: str,
    reference: Path | None, no_reference: bool, list_codecs: bool, quiet: bool,
) -> None:
    """Rate–distortion benchmark of Cool-chic and other codecs over the images of IMAGE_DIR.

    Writes points.tsv, config.json, report.md (BD-rate table), rd.png and CompressAI JSON
    files to --out. A rerun with the same --out skips the points already measured.
    """
    from coolchic.evaluation.benchmark import BenchConfig, run_benchmark
    from coolchic.evaluation.images import parse_crop
    from coolchic.evaluation.published import find_published

    if list_codecs:
        _list_codecs()
        return
    if image_dir is None or outdir is None:
        raise click.UsageError("IMAGE_DIR and --out are required (or use --list-codecs)")
    if reference is not None and no_reference:
        raise click.UsageError("--reference and --no-reference exclude each other")
    try:
        crop_size = None if crop is None else parse_crop(crop)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--crop") from None
    if reference is None and not no_reference:
        reference = find_published(image_dir)
    config = BenchConfig(
        image_dir=image_dir, outdir=outdir, images=_split(images), crop=crop_size,
        codecs=_split(codecs), settings=_parse_settings(settings, lambdas), n_itr=n_itr,
        n_train_loops=n_train_loops, preset=preset, time_limit=time_limit, threads=threads, test=test_codec,
        reference=reference, command=_command_line(click.get_current_context()),
    )
    try:
        result = run_benchmark(config, None if quiet else ProgressLine())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    report = result.files["report"].read_text()
    click.echo(report[report.index("## BD-rate"):report.index("## Dataset-average")].rstrip())
    click.echo(f"\nwrote {', '.join(str(p) for p in result.files.values())}")


if __name__ == "__main__":
    bench_command()
