"""ndarray <-> codec images for the imageio plugin.

Writing: ``uint8`` ``H x W`` (grey), ``H x W x 1``, ``H x W x 3`` (RGB), ``H x W x 2`` /
``H x W x 4`` (with alpha, stored losslessly; dropped when fully opaque); ``uint16`` arrays
hold 10-bit samples (``H x W`` grey or ``H x W x 3`` RGB, values 0..1023); a
:class:`coolchic.YUV420` is written as 4:2:0.

Reading: ``H x W`` / ``H x W x 3`` (``x 2`` / ``x 4`` with alpha), ``uint8`` for 8-bit
content and ``uint16`` (values ``< 2**bitdepth``) above. 4:2:0 content reads as RGB by
default (BT.601 limited range); ``yuv="yuv444"`` gives the exact Y, U, V samples as
``H x W x 3`` with each chroma sample repeated over its 2x2 block (``a[0::2, 0::2, 1]``
cropped to ``floor(H/2) x floor(W/2)`` is U); ``yuv="planar"`` gives the 1-D raw frame
(Y, then U, then V: the bytes of a ``.yuv`` file as samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from coolchic.imageconv import YUV420
from coolchic.planes import Planes

YUV_CHOICES = ("rgb", "yuv444", "planar")


@dataclass(frozen=True)
class ArrayInput:
    """What goes to :func:`coolchic.encode` for one array, plus its alpha plane."""

    image: Any
    alpha: np.ndarray | None


def to_encoder_input(image: Any) -> ArrayInput:
    """Split an array (or :class:`YUV420`) into encoder input and optional alpha."""
    if isinstance(image, (YUV420, Planes)):
        return ArrayInput(image, None)
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)):
        raise ValueError(f"image of shape {arr.shape}: expected H x W or H x W x 1|2|3|4 (one image, no batch)")
    if arr.dtype == np.uint16:
        return ArrayInput(_ten_bit(arr), None)
    if arr.dtype != np.uint8:
        raise ValueError(f"image dtype {arr.dtype}: expected uint8 (8-bit) or uint16 (10-bit samples)")
    if arr.ndim == 3 and arr.shape[2] in (2, 4):
        colour, alpha = arr[:, :, :-1], np.ascontiguousarray(arr[:, :, -1])
        colour = colour[:, :, 0] if colour.shape[2] == 1 else colour
        return ArrayInput(np.ascontiguousarray(colour), None if bool((alpha == 255).all()) else alpha)
    return ArrayInput(arr, None)


def _ten_bit(arr: np.ndarray) -> Planes:
    if arr.size and int(arr.max()) > 1023:
        raise ValueError("uint16 image: samples must be 10-bit values (0..1023)")
    if arr.ndim == 2:
        return Planes("gray", 10, (np.ascontiguousarray(arr),))
    if arr.shape[2] != 3:
        raise ValueError(f"uint16 image of shape {arr.shape}: alpha is only supported for uint8 images")
    return Planes("rgb", 10, tuple(np.ascontiguousarray(arr[:, :, c]) for c in range(3)))


def with_alpha(array: np.ndarray, alpha: np.ndarray | None, bitdepth: int) -> np.ndarray:
    """Append the alpha plane (scaled to ``bitdepth``) as the last channel."""
    if alpha is None:
        return array
    if bitdepth > 8:
        top = (1 << bitdepth) - 1
        alpha = ((alpha.astype(np.uint32) * top + 127) // 255).astype(array.dtype)
    colour = array if array.ndim == 3 else array[:, :, None]
    return np.concatenate([colour, alpha[:, :, None].astype(array.dtype)], axis=2)


def yuv_array(planes: Planes, layout: str) -> np.ndarray:
    """4:2:0 planes as ``yuv444`` (H x W x 3, chroma repeated) or ``planar`` (1-D Y, U, V)."""
    y, u, v = planes.planes
    if layout == "planar":
        return np.concatenate([y.ravel(), u.ravel(), v.ravel()])
    rows = np.minimum(np.arange(y.shape[0]) // 2, u.shape[0] - 1)
    cols = np.minimum(np.arange(y.shape[1]) // 2, u.shape[1] - 1)
    return np.stack([y, u[rows][:, cols], v[rows][:, cols]], axis=-1)


def read_shape(color: str, width: int, height: int, has_alpha: bool, yuv: str = "rgb") -> tuple[int, ...]:
    """Shape of what :meth:`CoolPlugin.read` returns."""
    if color == "yuv420" and yuv == "planar":
        return (width * height + 2 * (height // 2) * (width // 2),)
    channels = (1 if color == "gray" else 3) + int(has_alpha)
    return (height, width) if channels == 1 else (height, width, channels)
