"""The codec's view of an image: a colour format, a bit depth and 2-D sample planes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

ColorFormat = Literal["rgb", "gray", "yuv420"]


@dataclass(frozen=True)
class Planes:
    """Image samples as separate planes.

    * ``rgb``: three ``H x W`` planes R, G, B;
    * ``gray``: one ``H x W`` plane;
    * ``yuv420``: Y ``H x W``, then U and V ``floor(H/2) x floor(W/2)`` (Cool-chic 3.0 convention).

    Samples are ``uint8`` for 8 bits and ``uint16`` for more (values < 2**bitdepth).
    """

    color: ColorFormat
    bitdepth: int
    planes: tuple[np.ndarray, ...]

    @property
    def height(self) -> int:
        return int(self.planes[0].shape[0])

    @property
    def width(self) -> int:
        return int(self.planes[0].shape[1])

    @property
    def max_value(self) -> int:
        return (1 << self.bitdepth) - 1
