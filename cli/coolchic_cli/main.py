"""The ``coolchic`` command: ``encode``, ``decode``, ``info`` and ``convert``.

Data goes to stdout only (``-o -``), logs and progress to stderr only. Exit status: 0 on
success, 1 on failure (``coolchic: error: ...``), 2 on a usage error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from . import batch, encoder_flags
from .app import CoolchicGroup, describe, log, verbosity, verbosity_options
from .describe import human_lines, info_record, json_document
from .progress import Progress
from .bench import bench_command
from .sinks import COOL, RAW_C3, default_output, output_kind, render
from .encoding import encode_input, finish_on_first_interrupt
from .sources import PIX_FMTS, RawYuvFlags, parse_size
from .streams import STDIO, check_binary_stdout, read_input, write_output

METADATA_CHOICE = click.Choice(["all", "icc", "none"])


def _raw_yuv_flags(func: Any) -> Any:
    func = click.option("--pix-fmt", type=click.Choice(sorted(PIX_FMTS)), help="Raw input pixel format (ffmpeg name).")(func)
    func = click.option("--bitdepth", type=click.Choice(["8", "10"]), help="Raw YUV input bit depth.")(func)
    return click.option("--size", callback=parse_size, metavar="WxH", help="Raw YUV input size (overrides the file name).")(func)


def _metadata_flag(func: Any) -> Any:
    return click.option(
        "--metadata", type=METADATA_CHOICE, default="all", show_default=True,
        help="Which of ICC / EXIF / XMP to carry over.",
    )(func)


def _yuv_flags(params: dict[str, Any]) -> RawYuvFlags:
    bitdepth = params.pop("bitdepth")
    return RawYuvFlags(params.pop("size"), None if bitdepth is None else int(bitdepth), params.pop("pix_fmt"))


@click.group(cls=CoolchicGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coolchic", prog_name="coolchic")
@verbosity_options
def cli() -> None:
    """Cool-chic (.cool) neural image codec: encode, decode, inspect and convert images."""


def _fresh(default: str) -> str:
    """A default output name, refused if the file exists (only ``-o`` overwrites)."""
    if default != STDIO and Path(default).exists():
        raise click.UsageError(f"{default} exists; give -o {default} to overwrite it")
    return default


# ------------------------------------------------------------------------ encode
def _encode(src: str, data: bytes, flags: RawYuvFlags, metadata: str, options: dict[str, Any]) -> tuple[bytes, Any]:
    """Encode ``data`` (an image file or raw YUV) into ``.cool`` bytes; return ``(bytes, result)``."""
    progress = Progress(every_phase=verbosity() > 0) if verbosity() >= 0 else None

    def announce(message: str) -> None:
        if progress is not None:
            progress.close()
        log(message)

    try:
        if options.get("finish_on_interrupt"):
            with finish_on_first_interrupt(announce):
                return encode_input(src, data, flags, metadata, options, progress)
        return encode_input(src, data, flags, metadata, options, progress)
    finally:
        if progress is not None:
            progress.close()


def _report(out: str, cool: bytes, result: Any, seconds: float) -> None:
    info = result.info
    bpp = 8.0 * len(cool) / (info.width * info.height)
    where = "stdout" if out == STDIO else out
    log(
        f"coolchic: wrote {where}: {info.width}x{info.height} {info.color} {info.bitdepth}-bit, "
        f"{len(cool)} bytes, {bpp:.4f} bpp, PSNR {result.psnr_db:.2f} dB, {seconds:.1f} s"
    )


@cli.command()
@click.argument("srcs", metavar="IN...", nargs=-1, required=True)
@click.option("-o", "--output", "out", metavar="OUT",
              help="Output .cool file ('-' = stdout); with several inputs, a folder. Default: IN with .cool.")
@click.option("-J", "--jobs", type=click.IntRange(min=1), default=None,
              help="With several inputs: parallel encodes, one thread each (default: CPU count).")
@encoder_flags.encoder_flags
@_raw_yuv_flags
@_metadata_flag
@verbosity_options
def encode(srcs: tuple[str, ...], out: str | None, jobs: int | None, metadata: str, **params: Any) -> None:
    """Encode images (Pillow-readable files, raw 4:2:0 .yuv, folders of them; '-' = stdin) to .cool.

    Several inputs (or a folder) are encoded in parallel processes with one torch thread
    each; outputs go next to the inputs, or into the folder given with -o.
    """
    flags = _yuv_flags(params)
    options = encoder_flags.pop_encoder_kwargs(params)
    encoder_flags.validate(options)
    inputs = batch.expand_inputs(srcs)
    if len(srcs) > 1 or inputs != list(srcs):
        _encode_batch(inputs, out, jobs, flags, metadata, options)
        return
    src = srcs[0]
    out = out or (STDIO if src == STDIO else _fresh(str(Path(src).with_suffix(".cool"))))
    check_binary_stdout(out)
    start = time.perf_counter()
    cool, result = _encode(src, read_input(src), flags, metadata, options)
    write_output(out, cool)
    _report(out, cool, result, time.perf_counter() - start)


def _encode_batch(
    inputs: list[str], out_dir: str | None, jobs: int | None, flags: RawYuvFlags, metadata: str, options: dict[str, Any]
) -> None:
    """Encode several files in parallel processes; exit status 1 if any failed."""
    if STDIO in inputs or out_dir == STDIO:
        raise click.UsageError("several inputs: '-' (stdin/stdout) is not allowed; give -o FOLDER")
    if not inputs:
        raise click.UsageError("no images found in the given folder(s)")
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    pairs = [(src, _fresh(batch.output_path(src, out_dir))) for src in inputs]
    if len(set(out for _, out in pairs)) != len(pairs):
        raise click.UsageError("several inputs would write the same output file")
    start = time.perf_counter()
    n_done = [0]

    def report(item: Any) -> None:
        n_done[0] += 1
        if isinstance(item, batch.Done):
            log(f"coolchic: [{n_done[0]}/{len(pairs)}] wrote {item.out}: {item.n_bytes} bytes, "
                f"{item.bpp:.4f} bpp, PSNR {item.psnr_db:.2f} dB, {item.seconds:.1f} s")
        else:
            click.echo(f"coolchic: error: {item[0]}: {describe(item[1])}", err=True)

    failures = batch.encode_many(pairs, flags, metadata, options, jobs or batch.default_jobs(), report)
    log(f"coolchic: {len(pairs) - failures}/{len(pairs)} encoded in {time.perf_counter() - start:.1f} s")
    if failures:
        raise click.exceptions.Exit(1)


# ------------------------------------------------------------------------ decode
def _decode_to(src: str, data: bytes, out: str | None, fmt: str | None, metadata: str, device: str, threads: int | None) -> None:
    from coolchic import api

    if out is not None:
        kind = output_kind(out, fmt)
        check_binary_stdout(out)
    decoded = api.decode(data, device=device, threads=threads)
    if out is None:
        out = _fresh(default_output(src, decoded))
        kind = output_kind(out, fmt)
        check_binary_stdout(out)
    if kind in (COOL, RAW_C3):
        raise click.UsageError(f"decode writes images; use 'coolchic convert' to write {kind} data")
    write_output(out, render(decoded, kind, out, metadata))
    log(f"coolchic: wrote {'stdout' if out == STDIO else out}: {decoded.info.width}x{decoded.info.height} {decoded.info.color}")


def _decoder_flags(func: Any) -> Any:
    func = click.option("-j", "--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch.")(func)
    return click.option("--device", default="cpu", show_default=True, help="Torch device for the synthesis.")(func)


@cli.command()
@click.argument("src", metavar="IN")
@click.option("-o", "--output", "out", metavar="OUT", help="Output image ('-' = stdout). Default: IN with .png (.yuv for 4:2:0).")
@click.option("-f", "--format", "fmt", help="Output format (png, jpeg, tiff, webp, yuv...); needed for stdout.")
@_decoder_flags
@_metadata_flag
@verbosity_options
def decode(src: str, out: str | None, fmt: str | None, device: str, threads: int | None, metadata: str) -> None:
    """Decode a .cool file (or raw Cool-chic 3.0 .bin stream; '-' = stdin) to an image."""
    if src == STDIO and out is None:
        out = STDIO
    _decode_to(src, read_input(src), out, fmt, metadata, device, threads)


# ------------------------------------------------------------------------ info
@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (with schema_version) on stdout.")
@click.option("--check", is_flag=True, help="Also decode fully (CRC and every symbol checked).")
@verbosity_options
def info(files: tuple[str, ...], as_json: bool, check: bool) -> None:
    """Describe .cool files from their headers (no decoding unless --check)."""
    records = [_describe_file(path, check) for path in files]
    for record in records:
        if "error" in record:
            click.echo(f"coolchic: error: {record['path']}: {record['error']}", err=True)
    if as_json:
        click.echo(json_document(records))
    else:
        described = [record for record in records if "error" not in record]
        if described:
            click.echo("\n\n".join("\n".join(human_lines(record)) for record in described))
    if any("error" in record for record in records):
        raise click.exceptions.Exit(1)


def _describe_file(path: str, check: bool) -> dict[str, Any]:
    """The ``info`` record of one file, or ``{path, error, looks_like}`` when it cannot be read."""
    from coolchic import api
    from coolchic.container import sniff
    from coolchic.errors import CoolchicError

    try:
        data = read_input(path)
    except OSError as exc:
        return {"path": path, "error": exc.strerror or str(exc), "looks_like": None}
    try:
        record = info_record(path, api.read_info(data))
        if check:
            start = time.perf_counter()
            api.decode(data, max_pixels=None)
            record["check"] = f"ok ({time.perf_counter() - start:.2f} s)"
    except CoolchicError as exc:
        return {"path": path, "error": str(exc), "looks_like": sniff(data)}
    return record


# ------------------------------------------------------------------------ convert
@cli.command()
@click.argument("src", metavar="IN")
@click.argument("out", metavar="OUT")
@click.option("-f", "--format", "fmt", help="Output format when OUT is '-' (cool, bin, png, yuv...).")
@encoder_flags.encoder_flags
@_raw_yuv_flags
@_metadata_flag
@verbosity_options
def convert(src: str, out: str, fmt: str | None, metadata: str, **params: Any) -> None:
    """Convert between .cool, raw Cool-chic 3.0 .bin streams, images and raw .yuv.

    The direction comes from OUT's extension (or -f) and IN's signature: image/.yuv → .cool
    (or .bin) encodes; .cool/.bin → image/.yuv decodes; .cool → .bin extracts the raw 3.0
    stream and .bin → .cool wraps it, both losslessly.
    """
    from coolchic.container import looks_like_c3_bitstream, looks_like_cool

    flags = _yuv_flags(params)
    options = encoder_flags.pop_encoder_kwargs(params)
    target = output_kind(out, fmt)
    check_binary_stdout(out)
    data = read_input(src)
    source = COOL if looks_like_cool(data) else RAW_C3 if looks_like_c3_bitstream(data) and not flags.given else None
    if source is not None and target in (COOL, RAW_C3):
        write_output(out, _rewrap(data, source, target))
    elif source is not None:
        _decode_to(src, data, out, fmt, metadata, options.get("device", "cpu"), options.get("threads"))
    elif target in (COOL, RAW_C3):
        encoder_flags.validate(options)
        start = time.perf_counter()
        cool, result = _encode(src, data, flags, metadata, options)
        write_output(out, cool if target == COOL else _rewrap(cool, COOL, RAW_C3))
        _report(out, cool, result, time.perf_counter() - start)
    else:
        raise click.UsageError("convert needs Cool-chic data on one side: IN or OUT must be .cool or .bin")


def _rewrap(data: bytes, source: str, target: str) -> bytes:
    """Lossless .cool <-> raw 3.0 stream: extract the payload, or wrap a stream."""
    from coolchic import api
    from coolchic.container import ContainerHeader, read_container, write_container

    if source == target:
        raise click.UsageError(f"IN is already {target} data: nothing to convert")
    if source == COOL:
        return read_container(data, max_pixels=None)[2]
    info = api.read_info(data)
    return write_container(data, ContainerHeader(info.width, info.height, info.color, info.bitdepth))


cli.add_command(bench_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coolchic`` script."""
    return cli.main(args=argv, prog_name="coolchic", standalone_mode=True) or 0


__all__ = ["cli", "main"]
