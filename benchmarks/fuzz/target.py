"""Run one input through every public entry point; only documented errors are allowed.

Entry points: :func:`coolchic.read_info`, :func:`coolchic.decode`, Pillow's
``Image.open(...).load()`` and the imageio plugin's ``imread``. Documented errors:
:class:`coolchic.errors.CoolchicError` subclasses; Pillow's ``UnidentifiedImageError``
when ``Image.open`` does not recognise the data and its ``DecompressionBombError``.
Anything else (another exception type, a crash, a hang) is a finding.
"""

from __future__ import annotations

import io
import warnings
from typing import Callable

from PIL import Image

import coolchic
from coolchic.container import looks_like_cool
from coolchic.errors import CoolchicError

FUZZ_MAX_PIXELS = 416 * 240
"""Decode limit of the campaign: the official JVET class D streams decode, Kodak ones are refused."""
ENTRY_POINTS = ("info", "decode", "pillow", "imageio")


def _pillow(data: bytes) -> None:
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = FUZZ_MAX_PIXELS // 2  # the plugin decodes up to twice this, like Pillow
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.load()
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _imageio(data: bytes) -> str | None:
    import imageio.v3 as iio

    if not looks_like_cool(data):
        return "skipped"  # imageio's own plugin selection is not ours to fuzz
    iio.imread(data, plugin="cool", extension=".cool")
    return None


def _decode(data: bytes) -> None:
    coolchic.decode(data, max_pixels=FUZZ_MAX_PIXELS, threads=1)


def _info(data: bytes) -> None:
    coolchic.read_info(data)


CALLS: dict[str, Callable[[bytes], str | None]] = {"info": _info, "decode": _decode, "pillow": _pillow, "imageio": _imageio}
ALLOWED: dict[str, tuple[type[BaseException], ...]] = {
    "info": (CoolchicError,),
    "decode": (CoolchicError,),
    "pillow": (CoolchicError, Image.UnidentifiedImageError, Image.DecompressionBombError),
    "imageio": (CoolchicError,),
}


def run_one(entry: str, data: bytes) -> str:
    """``"ok"`` or the name of the documented error; anything else propagates."""
    try:
        outcome = CALLS[entry](data)
    except ALLOWED[entry] as exc:
        return type(exc).__name__
    return outcome or "ok"
