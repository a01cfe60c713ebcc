"""Conversions between user images (ndarray, PIL, :class:`YUV420`, raw ``.yuv`` files) and ``Planes``.

Colour conversions between RGB and Y'CbCr use **BT.601 with limited ("TV") range**
(Y in [16, 235]·2^(bd-8), Cb/Cr in [16, 240]·2^(bd-8)), the convention of ffmpeg's
default ``yuv420p`` output and of the project's raw YUV samples. Chroma is up-sampled
for display by sample repetition (nearest) and down-sampled by 2x2 averaging.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CorruptDataError, TruncatedDataError
from .planes import Planes

MAX_DIMENSION = 65535
_KR, _KB = 0.299, 0.114
_KG = 1.0 - _KR - _KB


@dataclass(frozen=True)
class YUV420:
    """A 4:2:0 image as three planes: ``y`` is H x W, ``u`` and ``v`` are floor(H/2) x floor(W/2).

    Samples are ``uint8`` (``bitdepth=8``) or ``uint16`` holding values < 2**bitdepth
    (``bitdepth=10``). This is Cool-chic 3.0's own 4:2:0 convention (no extra chroma
    row/column for odd sizes).
    """

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    bitdepth: int = 8

    @property
    def height(self) -> int:
        return int(self.y.shape[0])

    @property
    def width(self) -> int:
        return int(self.y.shape[1])


def _check_size(height: int, width: int) -> None:
    if not (1 <= height <= MAX_DIMENSION and 1 <= width <= MAX_DIMENSION):
        raise ValueError(f"image size {width}x{height}: width and height must be in 1..{MAX_DIMENSION}")


def _check_plane(plane: Any, bitdepth: int, name: str) -> np.ndarray:
    """Return ``plane`` as a C-contiguous uint8/uint16 2-D array, checking dtype and range."""
    arr = np.asarray(plane)
    if arr.ndim != 2:
        raise ValueError(f"{name} plane: expected a 2-D array, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
        raise ValueError(f"{name} plane: expected integer samples, got dtype {arr.dtype}")
    limit = (1 << bitdepth) - 1
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > limit):
        raise ValueError(f"{name} plane: samples must be in 0..{limit} for bit depth {bitdepth}")
    return np.ascontiguousarray(arr, dtype=np.uint8 if bitdepth == 8 else np.uint16)


def yuv420_planes(image: YUV420) -> Planes:
    """Validate a :class:`YUV420` and return its ``Planes``."""
    if image.bitdepth not in (8, 10):
        raise ValueError(f"YUV420 bitdepth {image.bitdepth}: expected 8 or 10")
    y = _check_plane(image.y, image.bitdepth, "Y")
    height, width = y.shape
    _check_size(height, width)
    if height < 2 or width < 2:
        raise ValueError(f"YUV420 image {width}x{height}: width and height must be >= 2")
    chroma_shape = (height // 2, width // 2)
    u = _check_plane(image.u, image.bitdepth, "U")
    v = _check_plane(image.v, image.bitdepth, "V")
    for name, plane in (("U", u), ("V", v)):
        if plane.shape != chroma_shape:
            raise ValueError(f"YUV420 {name} plane: shape {plane.shape}, expected {chroma_shape} (floor(H/2), floor(W/2))")
    return Planes("yuv420", image.bitdepth, (y, u, v))


def array_planes(array: np.ndarray) -> Planes:
    """``H x W`` (grey) or ``H x W x 3`` (RGB) uint8 array → ``Planes``; ``H x W x 1`` is grey."""
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        raise ValueError(f"image array: expected dtype uint8, got {arr.dtype} (use coolchic.YUV420 for 10-bit)")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        _check_size(*arr.shape)
        return Planes("gray", 8, (np.ascontiguousarray(arr),))
    if arr.ndim == 3 and arr.shape[2] == 3:
        _check_size(*arr.shape[:2])
        return Planes("rgb", 8, tuple(np.ascontiguousarray(arr[:, :, c]) for c in range(3)))
    if arr.ndim == 3 and arr.shape[2] in (2, 4):
        raise ValueError(f"image array of shape {arr.shape}: alpha channels are not supported (drop the alpha)")
    raise ValueError(f"image array of shape {arr.shape}: expected H x W or H x W x 3")


def pil_planes(image: Any) -> Planes:
    """PIL image → ``Planes``: ``L`` stays grey, ``1`` → ``L``, ``RGB`` stays, palette/CMYK/YCbCr/… → RGB.

    Modes with alpha (``RGBA``, ``LA``, ``PA``, palette with transparency) and high-bit
    modes (``I``, ``I;16``, ``F``) raise ``ValueError``.
    """
    mode = image.mode
    if mode == "P" and "transparency" in image.info:
        mode = "PA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        raise ValueError(f"PIL image mode {mode}: alpha is not supported by coolchic.encode (drop the alpha first)")
    if mode in ("I", "F") or mode.startswith("I;"):
        raise ValueError(f"PIL image mode {mode}: high-bit-depth images are not supported (convert to 8-bit L or RGB)")
    if mode == "1":
        image = image.convert("L")
    elif mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return array_planes(np.asarray(image))


def _is_pil_image(obj: Any) -> bool:
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(obj, pil.Image)


def to_planes(image: Any) -> Planes:
    """Any supported image (ndarray, PIL image, :class:`YUV420`, ``Planes``) → validated ``Planes``."""
    if isinstance(image, Planes):
        if image.color == "yuv420":
            return yuv420_planes(YUV420(*image.planes, bitdepth=image.bitdepth))
        planes = tuple(_check_plane(p, image.bitdepth, image.color) for p in image.planes)
        _check_size(*planes[0].shape)
        return Planes(image.color, image.bitdepth, planes)
    if isinstance(image, YUV420):
        return yuv420_planes(image)
    if _is_pil_image(image):
        return pil_planes(image)
    if isinstance(image, np.ndarray):
        return array_planes(image)
    raise TypeError(f"unsupported image type {type(image).__name__}: expected ndarray, PIL image or coolchic.YUV420")


def planes_to_yuv420(planes: Planes) -> YUV420:
    """yuv420 ``Planes`` → :class:`YUV420`."""
    if planes.color != "yuv420":
        raise ValueError(f"planes are {planes.color}, not yuv420")
    y, u, v = planes.planes
    return YUV420(y, u, v, planes.bitdepth)


def planes_to_array(planes: Planes) -> np.ndarray:
    """``Planes`` → ``H x W`` (grey) or ``H x W x 3`` (RGB; yuv420 converted, BT.601 limited range).

    The dtype is uint8 for 8 bits and uint16 (values < 2**bitdepth) for more.
    """
    if planes.color == "gray":
        return planes.planes[0]
    if planes.color == "rgb":
        return np.stack(planes.planes, axis=-1)
    return yuv420_to_rgb(planes_to_yuv420(planes))


def yuv420_to_rgb(image: YUV420) -> np.ndarray:
    """4:2:0 Y'CbCr (BT.601, limited range) → ``H x W x 3`` RGB of the same bit depth, for display."""
    bd = image.bitdepth
    scale = float(1 << (bd - 8))
    maxv = (1 << bd) - 1
    h, w = image.height, image.width
    rows = np.minimum(np.arange(h) // 2, image.u.shape[0] - 1)
    cols = np.minimum(np.arange(w) // 2, image.u.shape[1] - 1)
    y = (image.y.astype(np.float64) - 16 * scale) / (219 * scale)
    cb = (image.u.astype(np.float64)[rows][:, cols] - 128 * scale) / (224 * scale)
    cr = (image.v.astype(np.float64)[rows][:, cols] - 128 * scale) / (224 * scale)
    r = y + 2 * (1 - _KR) * cr
    b = y + 2 * (1 - _KB) * cb
    g = (y - _KR * r - _KB * b) / _KG
    rgb = np.stack([r, g, b], axis=-1) * maxv
    return np.clip(np.rint(rgb), 0, maxv).astype(np.uint8 if bd == 8 else np.uint16)


def rgb_to_yuv420(rgb: np.ndarray, bitdepth: int = 8) -> YUV420:
    """``H x W x 3`` uint8 RGB → :class:`YUV420` (BT.601 limited range, 2x2-mean chroma), H, W >= 2."""
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"rgb: expected an H x W x 3 uint8 array, got {arr.dtype} {arr.shape}")
    if bitdepth not in (8, 10):
        raise ValueError(f"bitdepth {bitdepth}: expected 8 or 10")
    h, w = arr.shape[:2]
    if h < 2 or w < 2:
        raise ValueError(f"image {w}x{h}: yuv420 needs width and height >= 2")
    x = arr.astype(np.float64) / 255.0
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = _KR * r + _KG * g + _KB * b
    cb = (b - y) / (2 * (1 - _KB))
    cr = (r - y) / (2 * (1 - _KR))
    ch, cw = h // 2, w // 2

    def mean2x2(p: np.ndarray) -> np.ndarray:
        p = p[: 2 * ch, : 2 * cw]
        return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4

    scale = float(1 << (bitdepth - 8))
    dtype = np.uint8 if bitdepth == 8 else np.uint16
    maxv = (1 << bitdepth) - 1

    def quant(p: np.ndarray, offset: float, gain: float) -> np.ndarray:
        return np.clip(np.rint((offset + gain * p) * scale), 0, maxv).astype(dtype)

    return YUV420(quant(y, 16, 219), quant(mean2x2(cb), 128, 224), quant(mean2x2(cr), 128, 224), bitdepth)


# ---------------------------------------------------------------- raw .yuv files

_YUV_NAME = re.compile(r"^(?P<name>.+)_(?P<w>[0-9]+)x(?P<h>[0-9]+)_(?P<fps>[^_]+)_yuv420_(?P<bd>8|10)b\.yuv$")


@dataclass(frozen=True)
class YuvFileName:
    """The fields of ``<name>_<W>x<H>_<fps>_yuv420_<8b|10b>.yuv``."""

    name: str
    width: int
    height: int
    fps: str
    bitdepth: int

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame: Y + 2 x floor(H/2) x floor(W/2), x2 for 10 bits."""
        samples = self.width * self.height + 2 * (self.height // 2) * (self.width // 2)
        return samples * (1 if self.bitdepth == 8 else 2)


def parse_yuv_name(path: str | os.PathLike[str]) -> YuvFileName:
    """Parse a raw 4:2:0 file name strictly; ``ValueError`` if it does not match."""
    base = Path(path).name
    m = _YUV_NAME.match(base)
    if m is None:
        raise ValueError(
            f"raw YUV file name {base!r}: expected <name>_<W>x<H>_<fps>_yuv420_<8b|10b>.yuv, "
            "e.g. kodim15_192x128_01p_yuv420_8b.yuv"
        )
    w, h = int(m["w"]), int(m["h"])
    _check_size(h, w)
    if h < 2 or w < 2:
        raise ValueError(f"raw YUV file name {base!r}: yuv420 needs width and height >= 2")
    return YuvFileName(m["name"], w, h, m["fps"], int(m["bd"]))


def yuv_file_name(name: str, width: int, height: int, bitdepth: int, fps: str = "01p") -> str:
    """Build a file name that :func:`parse_yuv_name` accepts."""
    if "/" in name or not name or "_" in fps or not fps:
        raise ValueError(f"yuv file name parts: name={name!r}, fps={fps!r}")
    return f"{name}_{width}x{height}_{fps}_yuv420_{bitdepth}b.yuv"


def decode_yuv420_frame(data: bytes, width: int, height: int, bitdepth: int) -> YUV420:
    """First frame of raw planar Y, U, V data (uint8, or uint16 little-endian for 10 bits)."""
    spec = YuvFileName("", width, height, "", bitdepth)
    if len(data) < spec.frame_bytes:
        raise TruncatedDataError(f"raw YUV data of {len(data)} bytes is shorter than one frame ({spec.frame_bytes})")
    if len(data) % spec.frame_bytes:
        raise CorruptDataError(
            f"raw YUV data of {len(data)} bytes is not a whole number of {width}x{height} "
            f"{bitdepth}-bit 4:2:0 frames ({spec.frame_bytes} bytes each)"
        )
    dtype = np.dtype(np.uint8) if bitdepth == 8 else np.dtype("<u2")
    samples = np.frombuffer(data, dtype=dtype, count=spec.frame_bytes // dtype.itemsize)
    ch, cw = height // 2, width // 2
    n_y, n_c = width * height, ch * cw
    y = samples[:n_y].reshape(height, width)
    u = samples[n_y : n_y + n_c].reshape(ch, cw)
    v = samples[n_y + n_c : n_y + 2 * n_c].reshape(ch, cw)
    if bitdepth > 8 and int(samples.max(initial=0)) >= 1 << bitdepth:
        raise CorruptDataError(f"raw YUV data has samples >= 2**{bitdepth}")
    out_dtype = np.uint8 if bitdepth == 8 else np.uint16
    return YUV420(*(np.array(p, dtype=out_dtype) for p in (y, u, v)), bitdepth=bitdepth)


def read_yuv420(path: str | os.PathLike[str]) -> YUV420:
    """Read the first frame of a raw ``.yuv`` file named ``<name>_<W>x<H>_<fps>_yuv420_<8b|10b>.yuv``."""
    spec = parse_yuv_name(path)
    return decode_yuv420_frame(Path(path).read_bytes(), spec.width, spec.height, spec.bitdepth)


def encode_yuv420_frame(image: YUV420) -> bytes:
    """Raw planar Y, U, V bytes of one frame (uint16 little-endian above 8 bits)."""
    planes = yuv420_planes(image)
    dtype = np.dtype(np.uint8) if planes.bitdepth == 8 else np.dtype("<u2")
    return b"".join(np.ascontiguousarray(p, dtype=dtype).tobytes() for p in planes.planes)


def write_yuv420(path: str | os.PathLike[str], image: YUV420) -> None:
    """Write ``image`` as one raw frame; the file name must match the size and bit depth."""
    spec = parse_yuv_name(path)
    if (spec.width, spec.height, spec.bitdepth) != (image.width, image.height, image.bitdepth):
        raise ValueError(
            f"file name {Path(path).name!r} says {spec.width}x{spec.height} {spec.bitdepth}-bit, "
            f"image is {image.width}x{image.height} {image.bitdepth}-bit"
        )
    Path(path).write_bytes(encode_yuv420_frame(image))
