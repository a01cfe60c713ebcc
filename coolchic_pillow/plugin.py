"""The Pillow image plugin: ``Image.open`` reads the header, ``load()`` decodes, ``save`` encodes.

Saving a ``.cool`` file by path is atomic (see :func:`_atomic_save`).
"""

from __future__ import annotations

import functools
import io
import os
from typing import IO, Any, Callable

import numpy as np
from PIL import Image, ImageFile

from coolchic.alpha import TAG_ALPHA, decode_alpha
from coolchic.atomic import atomic_write
from coolchic.container import TAG_EXIF, TAG_ICC, TAG_XMP, HeaderView, looks_like_cool, read_header, write_container
from coolchic.errors import CoolchicError, ImageTooLargeError, TruncatedDataError, UnsupportedError

from .encoding import encode_pil
from .modes import open_mode, pixels_for_mode

FORMAT = "COOL"
MIME_TYPE = "image/x-cool"
EXTENSIONS = (".cool",)

settings: dict[str, Any] = {"device": "cpu", "threads": None}
"""Decode settings set by :func:`coolchic_pillow.register`."""
save_defaults: dict[str, Any] = {}
"""Default save options set by :func:`coolchic_pillow.register`."""


def configure(options: dict[str, Any]) -> None:
    """Validate and store :func:`coolchic_pillow.register`'s options."""
    from coolchic.options import EncoderOptions

    encoder = {k: v for k, v in options.items() if k not in ("quality", "preset")}
    if options.get("quality") is not None and options.get("lmbda") is not None:
        raise ValueError("quality and lmbda are mutually exclusive: give one of them")
    EncoderOptions.from_kwargs(**encoder)  # ValueError naming a bad or unknown option
    if options.get("quality") is not None:
        from coolchic.api import quality_to_lmbda

        quality_to_lmbda(options["quality"])
    settings.update(device=options.get("device", "cpu"), threads=options.get("threads"))
    save_defaults.clear()
    save_defaults.update(options)


def _accept(prefix: bytes) -> bool:
    """Exact signature check."""
    return looks_like_cool(prefix)


def _max_pixels() -> int | None:
    """The decode limit matching Pillow's own (it raises above twice ``MAX_IMAGE_PIXELS``)."""
    limit = Image.MAX_IMAGE_PIXELS
    return None if limit is None else 2 * int(limit)


class CoolImageFile(ImageFile.ImageFile):
    """A ``.cool`` image: header and metadata at open time, pixels on ``load()``."""

    format = FORMAT
    format_description = "Cool-chic neural image"
    _view: HeaderView | None = None
    _start = 0

    def _open(self) -> None:
        assert self.fp is not None
        self._start = self.fp.tell()
        try:
            view = read_header(self.fp, max_pixels=None)  # Pillow checks MAX_IMAGE_PIXELS itself
        except (UnsupportedError, ImageTooLargeError):
            raise  # a real .cool file Pillow must not read: Image.open says why (e.g. a newer version)
        except CoolchicError as exc:
            raise SyntaxError(str(exc)) from None
        head = view.header
        has_alpha = TAG_ALPHA in view.chunks and not (head.color == "gray" and head.bitdepth > 8)
        self._mode = open_mode(head.color, head.bitdepth, has_alpha)
        self._size = (head.width, head.height)
        self.info["bitdepth"] = head.bitdepth
        self.info["color"] = head.color
        for key, tag in (("icc_profile", TAG_ICC), ("exif", TAG_EXIF), ("xmp", TAG_XMP)):
            if tag in view.chunks:
                self.info[key] = view.chunks[tag]
        self._view = view
        self.tile = []

    def _read_data(self, view: HeaderView) -> bytes:
        assert self.fp is not None
        self.fp.seek(self._start)
        data = self.fp.read(view.total_length)
        if len(data) < view.total_length:
            if not ImageFile.LOAD_TRUNCATED_IMAGES:
                raise TruncatedDataError(
                    f"image file is truncated ({len(data)} of {view.total_length} bytes)"
                )
            data = _rewrap_truncated(data, view)
        return data

    def _decode(self, view: HeaderView) -> np.ndarray:
        from coolchic import api

        head = view.header
        try:
            data = self._read_data(view)
            decoded = api.decode(
                data, max_pixels=_max_pixels(), device=settings["device"], threads=settings["threads"]
            )
            array = decoded.array
        except CoolchicError:
            if not ImageFile.LOAD_TRUNCATED_IMAGES:
                raise
            shape = (head.height, head.width) if head.color == "gray" else (head.height, head.width, 3)
            array = np.zeros(shape, np.uint16 if head.bitdepth > 8 else np.uint8)
        alpha = None
        if self.mode in ("RGBA", "LA"):
            alpha = decode_alpha(view.chunks[TAG_ALPHA], head.width, head.height)
        return pixels_for_mode(array, head.bitdepth, self.mode, alpha)

    def load(self) -> Any:
        if self._view is not None and self._im is None:
            view, self._view = self._view, None
            try:
                pixels = self._decode(view)
            finally:
                self._release_fp()
            self.load_prepare()
            self.frombytes(pixels.tobytes())
        return super().load()

    def verify(self) -> None:
        """Check the whole file (lengths and CRC-32) without decoding, then release the file."""
        from coolchic.container import read_container

        try:
            if self._view is not None:
                read_container(self._read_data(self._view), max_pixels=None)
        finally:
            self._release_fp()

    def _release_fp(self) -> None:
        if self.fp is not None and self._exclusive_fp and self._close_exclusive_fp_after_loading:
            self.fp.close()
        self.fp = None


def _rewrap_truncated(data: bytes, view: HeaderView) -> bytes:
    """Best effort for ``LOAD_TRUNCATED_IMAGES``: zero-pad the payload and give it a valid CRC."""
    payload = data[view.payload_offset : view.payload_offset + view.payload_length]
    if not payload:
        raise TruncatedDataError("image file is truncated before its payload")
    payload = payload.ljust(view.payload_length, b"\0")
    return write_container(payload, view.header, view.chunks)


def _save(im: Image.Image, fp: IO[bytes], filename: str | bytes) -> None:
    """Pillow save handler: the whole encode runs before the first byte is written."""
    data, _ = encode_pil(im, save_defaults, **im.encoderinfo)
    fp.write(data)
    if hasattr(fp, "flush"):
        fp.flush()


def _saves_cool_to_path(fp: Any, format: str | None) -> bool:
    """True when ``Image.save(fp, format)`` would write a ``.cool`` file by its path."""
    if not isinstance(fp, (str, bytes, os.PathLike)):
        return False
    if format:
        return format.upper() == FORMAT
    extension = os.path.splitext(os.fsdecode(fp))[1].lower()
    return Image.registered_extensions().get(extension) == FORMAT


def _atomic_save(original: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``Image.Image.save`` so that ``.cool`` files given by path are written atomically.

    Pillow opens (and truncates) the output file before it calls a save handler, so a
    failed or interrupted encode would leave an existing file empty. For a ``.cool`` path,
    the wrapper lets Pillow save into memory, then renames a complete temporary file over
    the target: on any failure the existing file is untouched. Every other save is
    Pillow's own.
    """

    @functools.wraps(original)
    def save(self: Image.Image, fp: Any, format: str | None = None, **params: Any) -> None:
        if not _saves_cool_to_path(fp, format) or params.get("append") or params.get("save_all"):
            return original(self, fp, format, **params)
        buffer = io.BytesIO()
        original(self, buffer, FORMAT, **params)
        atomic_write(fp, buffer.getvalue())
        return None

    save.__coolchic_original__ = original  # type: ignore[attr-defined]
    return save


def register_plugin() -> None:
    """(Re-)register the open and save handlers, the extension and the MIME type."""
    Image.register_open(FORMAT, CoolImageFile, _accept)
    Image.register_save(FORMAT, _save)
    Image.register_extensions(FORMAT, list(EXTENSIONS))
    Image.register_mime(FORMAT, MIME_TYPE)
    if not hasattr(Image.Image.save, "__coolchic_original__"):
        Image.Image.save = _atomic_save(Image.Image.save)  # type: ignore[method-assign]
