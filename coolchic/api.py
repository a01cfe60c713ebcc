"""Public API: :func:`encode`, :func:`decode`, :func:`read_info`.

Torch is imported only inside :func:`encode` and :func:`decode` (the synthesis);
:func:`read_info` and the container/payload header parsing never import it.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Union

import numpy as np

from .atomic import atomic_write
from .c3.payload import parse_payload_header, read_payload, write_payload
from .container import (
    DEFAULT_MAX_PIXELS,
    PROFILES,
    PROFILE_C3_FRAME,
    SIGNATURE,
    TAG_EXIF,
    TAG_ICC,
    TAG_XMP,
    ContainerHeader,
    looks_like_c3_bitstream,
    looks_like_cool,
    read_container,
    sniff,
    write_container,
)
from .devices import check_device
from .errors import CorruptDataError, ImageTooLargeError, NotCoolchicError, TruncatedDataError
from .imageconv import YUV420, planes_to_array, planes_to_yuv420, to_planes
from .options import EncoderOptions, preset_values
from .planes import ColorFormat, Planes
from .threads import torch_threads

if TYPE_CHECKING:
    from .c3.frame import Architecture, Frame
    from .training.encoder import ProgressEvent

Source = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", BinaryIO]
"""What :func:`decode` and :func:`read_info` accept: bytes, a path or a binary file object."""

QUALITY_LMBDA_OFFSET = -1.2
QUALITY_LMBDA_SLOPE = -0.03


def quality_to_lmbda(quality: float) -> float:
    """Map a JPEG-like ``quality`` in [0, 100] (higher = better) to the rate/distortion weight λ.

    ``λ = 10 ** (-1.2 - 0.03 · quality)``: quality 0 → 6.3e-2, 27 → 9.1e-3, 60 → 1e-3 (the
    3.0 CLI default), 80 → 2.5e-4, 93 → 1.0e-4, 100 → 6.3e-5. The official Kodak points
    λ ∈ {2e-2, 4e-3, 1e-3, 4e-4, 1e-4} sit at quality ≈ 16, 40, 60, 73, 93.
    """
    if isinstance(quality, bool) or not isinstance(quality, (int, float)) or not 0 <= quality <= 100:
        raise ValueError(f"quality: expected a number in 0..100, got {quality!r}")
    return 10.0 ** (QUALITY_LMBDA_OFFSET + QUALITY_LMBDA_SLOPE * float(quality))


@dataclass(frozen=True)
class Info:
    """What a ``.cool`` file (or raw 3.0 ``.bin`` stream) holds, read from its headers only.

    ``container_version`` is ``None`` for a raw 3.0 stream. Sizes are in bytes:
    ``file_size = header_size + sum(chunk_sizes.values()) + payload_size``, where
    ``header_size`` counts the container's own bytes (signature, fixed header, chunk
    headers, CRC; 0 for a raw stream), and ``payload_size = payload_header_size +
    nn_bytes + latent_bytes`` (the 3.0 GOP + frame headers, NN streams, latent streams);
    ``latent_bytes_per_resolution`` splits ``latent_bytes`` by resolution, finest first.
    """

    width: int
    height: int
    color: ColorFormat
    bitdepth: int
    container_version: tuple[int, int] | None
    profile: str
    file_size: int
    header_size: int
    payload_size: int
    chunk_sizes: dict[str, int]
    payload_header_size: int
    nn_bytes: int
    latent_bytes: int
    latent_bytes_per_resolution: tuple[int, ...]
    architecture: Architecture

    @property
    def metadata(self) -> tuple[str, ...]:
        """Tags of the metadata chunks present (``iccp``, ``exif``, ``xmp ``, ``alph`` ...)."""
        return tuple(self.chunk_sizes)

    @property
    def n_pixels(self) -> int:
        return self.width * self.height

    @property
    def bpp(self) -> float:
        """Bits per pixel of the whole file."""
        return 8.0 * self.file_size / self.n_pixels


@dataclass
class Decoded:
    """A decoded image.

    ``array`` is ``H x W`` (grey) or ``H x W x 3`` (RGB), uint8 for 8 bits and uint16
    (values < 2**bitdepth) above; yuv420 images are converted to RGB with BT.601
    limited range (see :mod:`coolchic.imageconv`); their exact samples are in ``planes``
    (and :attr:`yuv`). ``metadata`` holds the container's chunks by tag.
    """

    array: np.ndarray
    planes: Planes
    info: Info
    metadata: dict[str, bytes] = field(default_factory=dict)

    @property
    def icc_profile(self) -> bytes | None:
        return self.metadata.get(TAG_ICC)

    @property
    def exif(self) -> bytes | None:
        return self.metadata.get(TAG_EXIF)

    @property
    def xmp(self) -> bytes | None:
        return self.metadata.get(TAG_XMP)

    @property
    def yuv(self) -> YUV420 | None:
        """The 4:2:0 planes of a yuv420 image, else ``None``."""
        return planes_to_yuv420(self.planes) if self.planes.color == "yuv420" else None


@dataclass
class EncodeResult:
    """The outcome of :func:`encode`.

    ``reconstruction`` is what :func:`decode` returns for ``data``, in the input's own form:
    an array of the input's shape and dtype, a :class:`YUV420` for a YUV420 input, or a
    ``Planes`` for a ``Planes`` input. ``psnr_db`` is measured on the bit-depth-rounded
    output in [0, 1] (yuv420: every sample weighted equally, spec §2.3); ``bpp`` counts
    every byte of ``data``. Timings are wall-clock seconds.
    """

    data: bytes
    reconstruction: np.ndarray | YUV420 | Planes
    psnr_db: float
    bpp: float
    info: Info
    options: EncoderOptions
    fit_seconds: float
    encode_seconds: float
    decode_seconds: float

    @property
    def n_bytes(self) -> int:
        return len(self.data)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :attr:`data` to ``path`` atomically (an existing file survives a failed write)."""
        atomic_write(path, self.data)


# ----------------------------------------------------------------------------- reading


def _read_source(source: Source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).read_bytes()
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("file object must be opened in binary mode")
        return bytes(data)
    raise TypeError(f"expected bytes, a path or a binary file object, got {type(source).__name__}")


def _color_of(frame_type: str, out_channels: int) -> ColorFormat:
    if frame_type == "yuv420":
        return "yuv420"
    return "gray" if out_channels == 1 else "rgb"


def _check_consistent(header: ContainerHeader, payload: bytes) -> Any:
    """Parse the payload header and check it agrees with the container header.

    The colour derived from the payload is ``gray`` for an ``rgb`` frame whose synthesis
    outputs one channel, so this also checks the synthesis output channel count.
    """
    ph = parse_payload_header(payload)
    color = _color_of(ph.frame_type, ph.architecture.out_channels)
    got = (ph.width, ph.height, color, ph.bitdepth)
    want = (header.width, header.height, header.color, header.bitdepth)
    if got != want:
        raise CorruptDataError(f"payload header says (W, H, colour, bit depth) = {got}, container header says {want}")
    return ph


def _make_info(ph: Any, color: ColorFormat, data: bytes, version: tuple[int, int] | None, chunks: dict[str, bytes]) -> Info:
    chunk_sizes = {tag: len(v) for tag, v in chunks.items()}
    payload_size = ph.total_bytes
    return Info(
        width=ph.width,
        height=ph.height,
        color=color,
        bitdepth=ph.bitdepth,
        container_version=version,
        profile=PROFILES[PROFILE_C3_FRAME],
        file_size=len(data),
        header_size=len(data) - payload_size - sum(chunk_sizes.values()),
        payload_size=payload_size,
        chunk_sizes=chunk_sizes,
        payload_header_size=ph.header_bytes,
        nn_bytes=ph.nn_bytes,
        latent_bytes=ph.latent_bytes,
        latent_bytes_per_resolution=ph.latent_bytes_per_resolution,
        architecture=ph.architecture,
    )


def _parse(data: bytes, max_pixels: int | None) -> tuple[Info, dict[str, bytes], bytes]:
    """``.cool`` or raw 3.0 bytes → (info, chunks, payload), headers checked."""
    if looks_like_cool(data):
        header, chunks, payload = read_container(data, max_pixels=max_pixels)
        ph = _check_consistent(header, payload)
        return _make_info(ph, header.color, data, header.version, chunks), chunks, payload
    if looks_like_c3_bitstream(data):
        ph = parse_payload_header(data)
        info = _make_info(ph, _color_of(ph.frame_type, ph.architecture.out_channels), data, None, {})
        if max_pixels is not None and info.n_pixels > max_pixels:
            raise ImageTooLargeError(
                f"image of {info.width}x{info.height} = {info.n_pixels} pixels exceeds the limit of "
                f"{max_pixels} (max_pixels; a possible decompression bomb)"
            )
        return info, {}, data
    if len(data) < len(SIGNATURE) and data and SIGNATURE.startswith(data):
        raise TruncatedDataError(f".cool data truncated inside the signature ({len(data)} bytes)")
    raise NotCoolchicError(f"neither a .cool file nor a Cool-chic 3.0 stream: the data looks like {sniff(data)}")


def read_info(source: Source) -> Info:
    """Describe a ``.cool`` file or raw 3.0 stream from its headers (checks structure and CRC).

    Never imports torch and does not decode the latents. Raises
    :class:`~coolchic.errors.CoolchicError` subclasses on bad data.
    """
    return _parse(_read_source(source), max_pixels=None)[0]


def postprocess(raw: np.ndarray, color: ColorFormat, bitdepth: int) -> Planes:
    """Raw synthesis output ``[C, H, W]`` → integer ``Planes`` (spec §3.5).

    ``round_even(x · (2^bd − 1))`` clamped to ``[0, 2^bd − 1]``; for yuv420 the U and V
    channels are decimated by taking the samples at (2i, 2j), giving floor(H/2) x floor(W/2).
    """
    maxv = (1 << bitdepth) - 1
    expected = 1 if color == "gray" else 3
    if raw.ndim != 3 or raw.shape[0] != expected:
        raise CorruptDataError(f"synthesis produced shape {raw.shape}, expected {expected} channels")
    x = np.nan_to_num(raw.astype(np.float32, copy=False), nan=0.0)
    q = np.clip(np.rint(x * np.float32(maxv)), 0, maxv).astype(np.uint8 if bitdepth == 8 else np.uint16)
    if color == "yuv420":
        h, w = q.shape[1:]
        u = q[1, 0 : 2 * (h // 2) : 2, 0 : 2 * (w // 2) : 2]
        v = q[2, 0 : 2 * (h // 2) : 2, 0 : 2 * (w // 2) : 2]
        return Planes("yuv420", bitdepth, (q[0].copy(), u.copy(), v.copy()))
    return Planes(color, bitdepth, tuple(q[c].copy() for c in range(expected)))


def decode(
    source: Source,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    device: str = "cpu",
    threads: int | None = None,
) -> Decoded:
    """Decode a ``.cool`` file, or a raw official Cool-chic 3.0 ``.bin`` stream.

    ``source`` is bytes, a path or a binary file object. ``max_pixels`` bounds width x height
    (``None``: no limit). ``threads`` sets torch's intra-op threads for the synthesis and
    restores the previous value afterwards (calls that set it run one at a time, see
    :mod:`coolchic.threads`). ``device`` runs the synthesis (``'cpu'``, ``'cuda'``,
    ``'cuda:<n>'``). Raises ``CoolchicError`` subclasses on bad data, ``ValueError`` on a bad
    argument or an unusable device.
    """
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads: expected None or an integer >= 1, got {threads!r}")
    check_device(device)
    info, chunks, payload = _parse(_read_source(source), max_pixels)
    frame = read_payload(payload, max_pixels=max_pixels)
    raw = _synthesize(frame, device, threads)
    planes = postprocess(raw, info.color, info.bitdepth)
    return Decoded(array=planes_to_array(planes), planes=planes, info=info, metadata=chunks)


def _synthesize(frame: Any, device: str, threads: int | None) -> np.ndarray:
    from .model.reconstruct import synthesize

    with torch_threads(threads):
        return synthesize(frame, device=device)


# ----------------------------------------------------------------------------- encoding


def frame_file(frame: Frame, planes: Planes, options: EncoderOptions, chunks: dict[str, bytes] | None = None) -> bytes:
    """The ``.cool`` file of a trained ``frame`` of ``planes``: its payload (with zero-scale
    symbols unless ``options.avoid_zero_scales``) in the container, with metadata ``chunks``."""
    payload = write_payload(frame, allow_zero_scale=not options.avoid_zero_scales)
    header = ContainerHeader(planes.width, planes.height, planes.color, planes.bitdepth)
    return write_container(payload, header, chunks)


def encoder_options(quality: float | None = None, preset: str | None = None, **options: Any) -> EncoderOptions:
    """The :class:`EncoderOptions` that :func:`encode` runs: ``quality`` mapped to λ, the
    ``preset``'s values under the explicit ``options``. Bad values raise ``ValueError``."""
    if quality is not None:
        if "lmbda" in options:
            raise ValueError("quality: give either quality or lmbda, not both")
        options = {**options, "lmbda": quality_to_lmbda(quality)}
    if preset is not None:
        lmbda = EncoderOptions.from_kwargs(**options).lmbda  # checked before it picks values
        options = {**preset_values(preset, lmbda), **options}
    return EncoderOptions.from_kwargs(**options)


def _metadata_chunks(icc_profile: bytes | None, exif: bytes | None, xmp: bytes | str | None) -> dict[str, bytes]:
    chunks: dict[str, bytes] = {}
    for tag, name, value in ((TAG_ICC, "icc_profile", icc_profile), (TAG_EXIF, "exif", exif), (TAG_XMP, "xmp", xmp)):
        if value is None:
            continue
        if isinstance(value, str) and tag == TAG_XMP:
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ValueError(f"{name}: expected bytes, got {type(value).__name__}")
        if len(value):
            chunks[tag] = bytes(value)
    return chunks


def psnr_db(reference: Planes, decoded: Planes) -> float:
    """PSNR (peak 1.0) over all samples of all planes, each normalised by 2^bd − 1 (spec §2.3)."""
    maxv = float(reference.max_value)
    total, count = 0.0, 0
    for a, b in zip(reference.planes, decoded.planes):
        d = (a.astype(np.float64) - b.astype(np.float64)) / maxv
        total += float(np.sum(d * d))
        count += a.size
    mse = total / count
    return math.inf if mse == 0 else -10.0 * math.log10(mse)


def _like_input(image: Any, planes: Planes) -> np.ndarray | YUV420 | Planes:
    if isinstance(image, Planes):
        return planes
    if isinstance(image, YUV420):
        return planes_to_yuv420(planes)
    array = planes_to_array(planes)
    if isinstance(image, np.ndarray):
        return array.reshape(image.shape)
    return array


def encode(
    image: Any,
    *,
    quality: float | None = None,
    preset: str | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    stop: threading.Event | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    xmp: bytes | str | None = None,
    **options: Any,
) -> EncodeResult:
    """Encode an image into ``.cool`` bytes, then decode them to report the real result.

    ``image``: ``H x W x 3`` / ``H x W`` uint8 array, PIL image (RGB/L; other modes
    converted, alpha or high-bit modes rejected) or :class:`~coolchic.YUV420` (8/10 bits).
    ``quality`` (0–100, see :func:`quality_to_lmbda`) and ``options`` (the names of
    :class:`~coolchic.options.EncoderOptions`: ``lmbda``, ``n_itr``, ``layers_synthesis`` …)
    configure the encoder; ``preset`` names an entry of ``coolchic.options.PRESETS`` (with the
    changes of ``coolchic.options.RATE_TIERS`` at lower rates, :func:`~coolchic.options.preset_values`) whose
    values the explicit ``options`` override; ``progress`` receives training events; setting
    ``stop`` (from another thread) ends training early and encodes the best model so far. ``icc_profile``, ``exif``
    and ``xmp`` are stored as metadata chunks. Bad options raise ``ValueError``. A
    ``time_limit`` counts from this call: the encode returns within it.
    """
    called = time.perf_counter()
    planes = to_planes(image)
    opts = encoder_options(quality, preset, **options)
    check_device(opts.device)
    chunks = _metadata_chunks(icc_profile, exif, xmp)

    from .training.encoder import fit

    with torch_threads(opts.threads):  # one save/restore around fit and decode, safe across threads
        start = time.perf_counter()
        frame = fit(planes, opts, progress, stop, started=called)
        fit_seconds = time.perf_counter() - start
        data = frame_file(frame, planes, opts, chunks)
        encode_seconds = time.perf_counter() - start

        start = time.perf_counter()
        decoded = decode(data, max_pixels=None, threads=opts.threads)
        decode_seconds = time.perf_counter() - start
    return EncodeResult(
        data=data,
        reconstruction=_like_input(image, decoded.planes),
        psnr_db=psnr_db(planes, decoded.planes),
        bpp=8.0 * len(data) / (planes.width * planes.height),
        info=decoded.info,
        options=opts,
        fit_seconds=fit_seconds,
        encode_seconds=encode_seconds,
        decode_seconds=decode_seconds,
    )


__all__ = [
    "Decoded",
    "EncodeResult",
    "Info",
    "Source",
    "decode",
    "encode",
    "encoder_options",
    "postprocess",
    "psnr_db",
    "quality_to_lmbda",
    "read_info",
]
