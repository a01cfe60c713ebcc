"""Encoder inputs: any Pillow-readable image, or a raw 4:2:0 ``.yuv`` file/stream."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from coolchic.container import looks_like_c3_bitstream, looks_like_cool, sniff
from coolchic.imageconv import YUV420, YuvFileName, decode_yuv420_frame, parse_yuv_name

PIX_FMTS = {"yuv420p": 8, "yuv420p10le": 10}
"""``--pix-fmt`` names (ffmpeg's) and their bit depths."""


@dataclass(frozen=True)
class RawYuvFlags:
    """``--size WxH``, ``--bitdepth`` and ``--pix-fmt`` as given (``None`` when absent)."""

    size: tuple[int, int] | None = None
    bitdepth: int | None = None
    pix_fmt: str | None = None

    @property
    def given(self) -> bool:
        return self.size is not None or self.bitdepth is not None or self.pix_fmt is not None


def parse_size(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    """Click callback for ``--size WxH``."""
    if value is None:
        return None
    width, sep, height = value.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or int(width) < 2 or int(height) < 2:
        raise click.BadParameter(f"expected WxH with W, H >= 2 (e.g. 192x128), got {value!r}", ctx, param)
    return int(width), int(height)


def is_raw_yuv(path: str, flags: RawYuvFlags) -> bool:
    return flags.given or path.lower().endswith(".yuv")


def yuv_geometry(path: str, flags: RawYuvFlags) -> YuvFileName:
    """Size and bit depth of a raw 4:2:0 input: its strict file name, overridden by flags."""
    named: YuvFileName | None = None
    name_error: str | None = None
    if path != "-":
        try:
            named = parse_yuv_name(path)
        except ValueError as exc:
            name_error = str(exc)
    bitdepth = flags.bitdepth
    if flags.pix_fmt is not None:
        implied = PIX_FMTS[flags.pix_fmt]
        if bitdepth is not None and bitdepth != implied:
            raise click.UsageError(f"--pix-fmt {flags.pix_fmt} is {implied}-bit but --bitdepth is {bitdepth}")
        bitdepth = implied
    size = flags.size or (None if named is None else (named.width, named.height))
    bitdepth = bitdepth or (None if named is None else named.bitdepth)
    if size is None or bitdepth is None:
        hint = name_error or "raw YUV from stdin has no file name"
        raise click.UsageError(f"{hint}; give --size WxH and --bitdepth 8|10 (or --pix-fmt)")
    return YuvFileName(named.name if named else "stdin", size[0], size[1], named.fps if named else "01p", bitdepth)


def load_image(path: str, data: bytes, flags: RawYuvFlags) -> Any:
    """The image in ``data`` (read from ``path``): a :class:`YUV420` or a loaded PIL image."""
    if is_raw_yuv(path, flags):
        geometry = yuv_geometry(path, flags)
        return decode_yuv420_frame(data, geometry.width, geometry.height, geometry.bitdepth)
    if looks_like_cool(data) or looks_like_c3_bitstream(data):
        raise ValueError(f"{_label(path)} is already Cool-chic data ({sniff(data)}); nothing to encode")
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except UnidentifiedImageError:
        raise ValueError(f"cannot read {_label(path)} as an image: it looks like {sniff(data)}") from None
    return image


def image_metadata(image: Any, which: str) -> dict[str, bytes | None]:
    """ICC / EXIF / XMP of a PIL input, as selected by ``--metadata all|icc|none``."""
    if isinstance(image, YUV420) or which == "none":
        return {"icc_profile": None}
    meta: dict[str, bytes | None] = {"icc_profile": image.info.get("icc_profile")}
    if which == "all":
        exif = image.getexif()
        meta["exif"] = exif.tobytes() if len(exif) else None
        xmp = image.info.get("xmp")
        meta["xmp"] = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
    return meta


def _label(path: str) -> str:
    return "stdin" if path == "-" else Path(path).name
