"""Decoder outputs: any Pillow-writable format, raw 4:2:0 ``.yuv``, or ``.cool`` / ``.bin``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import click
import numpy as np

from coolchic.imageconv import YUV420, encode_yuv420_frame, parse_yuv_name, planes_to_yuv420, rgb_to_yuv420, yuv_file_name
from coolchic.alpha import TAG_ALPHA, decode_alpha
from coolchic_pillow.modes import to_8bit

COOL, RAW_C3, RAW_YUV = "cool", "bin", "yuv"
_OWN = {".cool": COOL, ".bin": RAW_C3, ".yuv": RAW_YUV}
_METADATA_KEYS = (("icc_profile", "iccp"), ("exif", "exif"), ("xmp", "xmp "))


def output_kind(path: str, fmt: str | None) -> str:
    """``cool``, ``bin``, ``yuv`` or a Pillow format name, from ``-f`` or the extension."""
    from PIL import Image

    if fmt is not None:
        key = fmt.lower().lstrip(".")
        if f".{key}" in _OWN:
            return _OWN[f".{key}"]
        extensions = Image.registered_extensions()
        if f".{key}" in extensions:
            return extensions[f".{key}"]
        if key.upper() in Image.SAVE:
            return key.upper()
        raise click.UsageError(f"-f/--format: unknown output format {fmt!r}")
    if path == "-":
        raise click.UsageError("writing an image to stdout needs -f/--format (e.g. -f png)")
    suffix = Path(path).suffix.lower()
    if suffix in _OWN:
        return _OWN[suffix]
    extensions = Image.registered_extensions()
    if suffix not in extensions or extensions[suffix] not in Image.SAVE:
        raise click.UsageError(f"cannot tell the output format from {Path(path).name!r}; use -f/--format")
    return extensions[suffix]


def default_output(input_path: str, decoded: Any) -> str:
    """``x.cool`` → ``x.png``, or ``x_<W>x<H>_01p_yuv420_<bd>b.yuv`` for 4:2:0 content."""
    if input_path == "-":
        return "-"
    stem = Path(input_path).with_suffix("")
    if decoded.planes.color == "yuv420":
        return str(stem.with_name(yuv_file_name(stem.name, decoded.info.width, decoded.info.height, decoded.info.bitdepth)))
    return str(stem) + ".png"


def render(decoded: Any, kind: str, path: str, metadata: str) -> bytes:
    """Bytes of the decoded image in ``kind`` (``yuv`` or a Pillow format)."""
    if kind == RAW_YUV:
        return _raw_yuv(decoded, path)
    from PIL import Image

    image = Image.fromarray(_pixels(decoded))
    extra: dict[str, Any] = {}
    for key, tag in _METADATA_KEYS:
        value = decoded.metadata.get(tag)
        if value and (metadata == "all" or (metadata == "icc" and key == "icc_profile")):
            extra[key] = value
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **extra)
    return buffer.getvalue()


def _pixels(decoded: Any) -> np.ndarray:
    """An array Pillow can write: 8-bit (+ alpha), or 16-bit grey scaled from 10 bits."""
    info = decoded.info
    array = np.asarray(decoded.array)
    if info.color == "gray" and info.bitdepth > 8:
        top = (1 << info.bitdepth) - 1
        return ((array.astype(np.uint32) * 65535 + top // 2) // top).astype(np.uint16)
    colour = to_8bit(array, info.bitdepth)
    if TAG_ALPHA in decoded.metadata:
        alpha = decode_alpha(decoded.metadata[TAG_ALPHA], info.width, info.height)
        colour = colour if colour.ndim == 3 else colour[:, :, None]
        colour = np.concatenate([colour, alpha[:, :, None]], axis=2)
    return np.ascontiguousarray(colour)


def _raw_yuv(decoded: Any, path: str) -> bytes:
    info = decoded.info
    if info.color == "yuv420":
        image: YUV420 = planes_to_yuv420(decoded.planes)
    elif info.color == "rgb" and info.bitdepth == 8:
        image = rgb_to_yuv420(decoded.array)
    else:
        raise ValueError(f"cannot write a {info.bitdepth}-bit {info.color} image as raw 4:2:0 YUV")
    if path != "-":
        try:
            named = parse_yuv_name(path)
        except ValueError:
            named = None
        if named is not None and (named.width, named.height, named.bitdepth) != (image.width, image.height, image.bitdepth):
            raise ValueError(
                f"{Path(path).name} names a {named.width}x{named.height} {named.bitdepth}-bit frame but the image is "
                f"{image.width}x{image.height} {image.bitdepth}-bit"
            )
    return encode_yuv420_frame(image)
