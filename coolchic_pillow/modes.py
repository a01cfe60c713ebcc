"""Pillow modes <-> what the codec stores (colour format, bit depth, optional alpha).

Saving: ``RGB`` and ``L`` are stored as they are; ``RGBA``/``LA`` store their colour plus
a lossless alpha chunk (dropped when fully opaque); ``1`` becomes ``L``; ``P`` becomes
``RGB`` (``RGBA`` when it has transparency); ``I;16``/``I`` become 10-bit grey (samples
kept as they are when they all fit in 10 bits, e.g. an image read from a 10-bit ``.cool``,
otherwise scaled from 16 bits: ``round(v * 1023 / 65535)``). Other modes: ``ValueError``.

Opening: ``rgb`` and ``yuv420`` open as ``RGB`` (8 bits; 10-bit samples are scaled and
``info["bitdepth"]`` says 10), ``gray`` as ``L`` (8 bits) or ``I;16`` (10 bits, the raw
0..1023 samples); an alpha chunk adds ``A`` (``RGBA``, ``LA``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from coolchic.planes import Planes

_HIGH_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_CONVERTIBLE = ("RGB", "L", "RGBA", "LA", "RGBa", "La", "P", "PA", "1", *_HIGH_BIT_MODES)


@dataclass(frozen=True)
class EncoderInput:
    """What goes to :func:`coolchic.encode` for one PIL image, plus its alpha plane."""

    image: Any
    alpha: np.ndarray | None


def to_encoder_input(im: Image.Image) -> EncoderInput:
    """Convert a PIL image to an encoder input (see the module docstring for the rules)."""
    mode = im.mode
    if mode not in _CONVERTIBLE:
        raise ValueError(
            f"cannot save a {mode} image as .cool: convert it to RGB, L, RGBA or LA first"
        )
    if mode in _HIGH_BIT_MODES:
        return EncoderInput(_gray10(im), None)
    if mode == "1":
        return EncoderInput(im.convert("L"), None)
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif mode in ("RGBa", "La"):
        im = im.convert(mode.upper())
    if im.mode in ("RGBA", "LA"):
        colour = im.convert(im.mode[:-1])
        alpha = np.asarray(im.getchannel("A"))
        return EncoderInput(colour, None if bool((alpha == 255).all()) else alpha)
    return EncoderInput(im, None)


def _gray10(im: Image.Image) -> Planes:
    samples = np.asarray(im).astype(np.int64)
    if samples.size and (samples.min() < 0 or samples.max() > 65535):
        raise ValueError(f"{im.mode} image: samples must be in 0..65535 to be saved as .cool")
    if samples.size and samples.max() > 1023:
        samples = (samples * 1023 + 32767) // 65535
    return Planes("gray", 10, (samples.astype(np.uint16),))


def open_mode(color: str, bitdepth: int, has_alpha: bool) -> str:
    """The Pillow mode a ``.cool`` image opens as."""
    if color == "gray":
        if bitdepth > 8:
            return "I;16"
        return "LA" if has_alpha else "L"
    return "RGBA" if has_alpha else "RGB"


def to_8bit(samples: np.ndarray, bitdepth: int) -> np.ndarray:
    """Scale ``bitdepth``-bit samples to uint8 with rounding."""
    if bitdepth == 8:
        return samples.astype(np.uint8, copy=False)
    top = (1 << bitdepth) - 1
    return ((samples.astype(np.uint32) * 255 + top // 2) // top).astype(np.uint8)


def pixels_for_mode(array: np.ndarray, bitdepth: int, mode: str, alpha: np.ndarray | None) -> np.ndarray:
    """Decoded ``H x W[ x 3]`` samples (+ alpha) → the array of a PIL image of ``mode``."""
    if mode == "I;16":
        return np.ascontiguousarray(array, dtype="<u2")
    colour = to_8bit(array, bitdepth)
    if mode in ("RGBA", "LA"):
        if alpha is None:
            raise ValueError("an alpha mode needs an alpha plane")
        colour = colour if colour.ndim == 3 else colour[:, :, None]
        return np.ascontiguousarray(np.concatenate([colour, alpha[:, :, None]], axis=2))
    return np.ascontiguousarray(colour)
