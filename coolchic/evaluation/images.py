"""Loading the benchmark images: folder listing, name subsets and centre crops."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".ppm", ".bmp", ".tif", ".tiff")
"""Lossless formats accepted as benchmark sources."""


@dataclass(frozen=True)
class BenchImage:
    """One source image: its name (file stem) and uint8 ``H x W x 3`` pixels."""

    name: str
    pixels: np.ndarray

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def digest(self) -> str:
        """SHA-256 of shape and pixels: identifies the exact content that was coded."""
        h = hashlib.sha256(repr(self.pixels.shape).encode())
        h.update(np.ascontiguousarray(self.pixels).tobytes())
        return h.hexdigest()


def parse_crop(text: str) -> tuple[int, int]:
    """Parse ``"WxH"`` into ``(width, height)``; raise ``ValueError`` naming ``--crop``."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"--crop must look like WIDTHxHEIGHT (e.g. 256x256), got {text!r}")
    width, height = int(parts[0]), int(parts[1])
    if width < 1 or height < 1:
        raise ValueError(f"--crop sizes must be positive, got {text!r}")
    return width, height


def centre_crop(pixels: np.ndarray, size: tuple[int, int], name: str) -> np.ndarray:
    """The ``(width, height)`` window at the centre of ``pixels``."""
    width, height = size
    h, w = pixels.shape[:2]
    if width > w or height > h:
        raise ValueError(f"--crop {width}x{height} is larger than image {name!r} ({w}x{h})")
    top, left = (h - height) // 2, (w - width) // 2
    return np.ascontiguousarray(pixels[top : top + height, left : left + width])


def list_images(folder: Path) -> list[Path]:
    """Image files of ``folder`` (lossless formats only), sorted by name."""
    if not folder.is_dir():
        raise ValueError(f"image folder {str(folder)!r} does not exist or is not a folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"image folder {str(folder)!r} holds no {'/'.join(IMAGE_SUFFIXES)} file")
    return files


def load_images(
    folder: Path, names: list[str] | None = None, crop: tuple[int, int] | None = None
) -> list[BenchImage]:
    """Load the images of ``folder`` as RGB, restricted to ``names`` (stems) and centre-cropped.

    Raises ``ValueError`` naming ``--images`` for a requested name that is not in the folder.
    """
    files = {p.stem: p for p in list_images(folder)}
    if names is not None:
        missing = [n for n in names if n not in files]
        if missing:
            raise ValueError(f"--images: not found in {str(folder)!r}: {', '.join(missing)}")
        if len(set(names)) != len(names):
            raise ValueError("--images lists an image twice")
        selected = [(n, files[n]) for n in names]
    else:
        selected = list(files.items())
    images = []
    for name, path in selected:
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))
        if crop is not None:
            pixels = centre_crop(pixels, crop, name)
        images.append(BenchImage(name, pixels))
    return images
