"""Adapters of the classic codecs a user would pick instead of Cool-chic.

Every adapter encodes a uint8 ``H x W x 3`` array to the bytes of a complete file and decodes
those bytes back to such an array. Encoders and decoders are limited to ``threads`` threads
where the library allows it, so that the wall times compare like with like.
"""

from __future__ import annotations

import contextlib
import importlib
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, features


class Codec(ABC):
    """One codec configuration, swept over a list of settings (quality or λ)."""

    name: str
    """Short identifier used on the command line and in the outputs."""
    description: str
    """One line for humans: library, mode, speed."""
    param: str
    """Name of the swept setting: ``"quality"`` or ``"lmbda"``."""
    default_settings: tuple[float, ...]
    """Settings swept unless the user gives others."""
    suffix: str
    """File-name extension of the encoded file."""
    keep_streams: bool = False
    """Whether the runner stores the encoded files (worth it for slow encoders)."""

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """``None`` if the codec can run here, else why not (e.g. a missing package)."""

    @abstractmethod
    def options(self) -> dict[str, Any]:
        """Every option besides the setting that changes the output (cache key, config)."""

    def point_options(self, setting: float) -> dict[str, Any]:
        """The options behind one point (its cache key): :meth:`options`, unless they vary
        with the setting."""
        return self.options()

    @abstractmethod
    def encode(self, pixels: np.ndarray, setting: float) -> bytes:
        """Encode ``pixels`` at ``setting`` into the bytes of a whole file."""

    @abstractmethod
    def decode(self, data: bytes) -> np.ndarray:
        """Decode a file produced by :meth:`encode` to uint8 ``H x W x 3``."""


def _missing_module(module: str, package: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError:
        return f"Python package {package!r} is not installed (pip install {package})"
    return None


@contextlib.contextmanager
def decode_threads(threads: int) -> Iterator[None]:
    """Limit the decoders of Pillow's AVIF, pillow-heif and pillow-jxl-plugin to ``threads``."""
    targets: list[tuple[Any, str]] = []
    for module, attribute in (
        ("PIL.AvifImagePlugin", "DEFAULT_MAX_THREADS"),
        ("pillow_heif.options", "DECODE_THREADS"),
        ("pillow_jxl.JpegXLImagePlugin", "DECODE_THREADS"),
    ):
        with contextlib.suppress(ImportError):
            targets.append((importlib.import_module(module), attribute))
    saved = [getattr(m, a) for m, a in targets]
    try:
        for m, a in targets:
            setattr(m, a, threads)
        yield
    finally:
        for (m, a), value in zip(targets, saved):
            setattr(m, a, value)


@dataclass
class PillowCodec(Codec):
    """A codec reached through ``PIL.Image.save`` / ``PIL.Image.open``."""

    name: str
    description: str
    pillow_format: str
    suffix: str
    default_settings: tuple[float, ...]
    save_options: dict[str, Any] = field(default_factory=dict)
    feature: str | None = None
    """Pillow feature that must be compiled in (``PIL.features.check``)."""
    plugin: tuple[str, str] | None = None
    """(module, pip package) to import when the feature is absent."""
    threads: int = 1
    thread_option: str | None = None
    """Name of the save option that limits encoder threads, if any."""
    param: str = "quality"

    def unavailable_reason(self) -> str | None:
        if self.feature is not None and features.check(self.feature):
            return None
        if self.plugin is not None:
            return _missing_module(*self.plugin)
        return f"this Pillow build lacks {self.feature!r} support"

    def options(self) -> dict[str, Any]:
        opts = {"format": self.pillow_format, **self.save_options}
        if self.thread_option:
            opts[self.thread_option] = self.threads
        return opts

    def encode(self, pixels: np.ndarray, setting: float) -> bytes:
        options = self.options()
        fmt = options.pop("format")
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, fmt, quality=int(setting), **options)
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        with decode_threads(self.threads), Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"))


@dataclass
class HeifCodec(Codec):
    """HEIC (HEVC intra) through pillow-heif's x265 encoder and libde265 decoder."""

    name: str
    description: str
    chroma: int
    default_settings: tuple[float, ...]
    threads: int = 1
    suffix: str = ".heic"
    param: str = "quality"

    def unavailable_reason(self) -> str | None:
        missing = _missing_module("pillow_heif", "pillow-heif")
        if missing:
            return missing
        import pillow_heif

        if "x265" not in pillow_heif.libheif_info().get("encoders", {}):
            return "pillow-heif was built without the x265 encoder"
        return None

    def options(self) -> dict[str, Any]:
        return {"encoder": "x265", "chroma": self.chroma}

    def encode(self, pixels: np.ndarray, setting: float) -> bytes:
        import pillow_heif

        buf = io.BytesIO()
        heif = pillow_heif.from_pillow(Image.fromarray(pixels))
        heif.save(buf, quality=int(setting), chroma=self.chroma)
        return buf.getvalue()

    def decode(self, data: bytes) -> np.ndarray:
        import pillow_heif

        with decode_threads(self.threads):
            return np.asarray(pillow_heif.open_heif(io.BytesIO(data)).to_pillow().convert("RGB"))


@dataclass
class JxlCodec(PillowCodec):
    """JPEG XL through pillow-jxl-plugin (libjxl), which registers itself with Pillow."""

    def encode(self, pixels: np.ndarray, setting: float) -> bytes:
        importlib.import_module("pillow_jxl")
        return super().encode(pixels, setting)

    def decode(self, data: bytes) -> np.ndarray:
        importlib.import_module("pillow_jxl")
        return super().decode(data)


AVIF_SPEED = 2
"""libavif speed of the AVIF sweeps (0 slowest … 10 fastest; 6 is Pillow's default)."""
AVIF_GOAL_SPEED = 4
"""Speed of ``avif444-s4``, the AVIF anchor issue 6 names: speed 4, tuned for PSNR. The
other AVIF sweeps keep libavif's default tuning for libaom, which is ``iq`` in libavif 1.4
(perceptual; the same quality setting gives fewer bits and a lower PSNR than ``psnr``)."""
JXL_EFFORT = 7
"""libjxl effort (1 … 9; 7 is libjxl's default)."""

JPEG_QUALITIES = (5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 98)
WEBP_QUALITIES = (0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
AVIF_QUALITIES = (5, 15, 25, 35, 45, 55, 65, 75, 85, 92)
HEIC_QUALITIES = (2, 10, 20, 30, 40, 50, 60, 70, 80, 90)
JXL_QUALITIES = (5, 15, 30, 45, 60, 75, 85, 90, 95, 98)


def classic_codecs(threads: int = 1) -> dict[str, Codec]:
    """Every classic codec configuration the harness knows, by name.

    The quality lists cover roughly 22–43 dB PSNR-RGB on Kodak, the range of Cool-chic's
    published λ sweep (1e-4 … 2e-2).
    """
    avif = {"feature": "avif", "plugin": ("pillow_avif", "pillow-avif-plugin")}
    codecs: list[Codec] = [
        PillowCodec("jpeg420", "JPEG 4:2:0 (Pillow/libjpeg, optimize)", "JPEG", ".jpg",
                    JPEG_QUALITIES, {"subsampling": 2, "optimize": True}, feature="jpg",
                    threads=threads),
        PillowCodec("jpeg444", "JPEG 4:4:4 (Pillow/libjpeg, optimize)", "JPEG", ".jpg",
                    JPEG_QUALITIES, {"subsampling": 0, "optimize": True}, feature="jpg",
                    threads=threads),
        PillowCodec("webp", "WebP lossy, method 6 (Pillow/libwebp)", "WEBP", ".webp",
                    WEBP_QUALITIES, {"method": 6}, feature="webp", threads=threads),
        PillowCodec("avif444", f"AVIF 4:4:4, speed {AVIF_SPEED} (Pillow/libavif)", "AVIF",
                    ".avif", AVIF_QUALITIES, {"subsampling": "4:4:4", "speed": AVIF_SPEED},
                    threads=threads, thread_option="max_threads", **avif),
        PillowCodec("avif444-s4", f"AVIF 4:4:4, speed {AVIF_GOAL_SPEED}, tune=psnr (Pillow/libavif)",
                    "AVIF", ".avif", AVIF_QUALITIES,
                    {"subsampling": "4:4:4", "speed": AVIF_GOAL_SPEED, "advanced": {"tune": "psnr"}},
                    threads=threads, thread_option="max_threads", **avif),
        PillowCodec("avif420", f"AVIF 4:2:0, speed {AVIF_SPEED} (Pillow/libavif)", "AVIF",
                    ".avif", AVIF_QUALITIES, {"subsampling": "4:2:0", "speed": AVIF_SPEED},
                    threads=threads, thread_option="max_threads", **avif),
        HeifCodec("heic420", "HEIC 4:2:0 (pillow-heif, x265 preset default)", 420,
                  HEIC_QUALITIES, threads=threads),
        HeifCodec("heic444", "HEIC 4:4:4 (pillow-heif, x265 preset default)", 444,
                  HEIC_QUALITIES, threads=threads),
        JxlCodec("jxl", f"JPEG XL, effort {JXL_EFFORT} (pillow-jxl-plugin/libjxl)", "JXL",
                 ".jxl", JXL_QUALITIES, {"effort": JXL_EFFORT},
                 plugin=("pillow_jxl", "pillow-jxl-plugin"), threads=threads,
                 thread_option="num_threads"),
    ]
    return {c.name: c for c in codecs}
