"""imageio v3 plugin ``cool``: read, write, properties and metadata of ``.cool`` images."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from imageio.core.request import URI_BYTES, URI_FILENAME, InitializationError, IOMode, Request
from imageio.core.v3_plugin_api import ImageProperties, PluginV3

from coolchic.alpha import TAG_ALPHA, decode_alpha, encode_alpha
from coolchic.atomic import atomic_write
from coolchic.container import TAG_EXIF, TAG_ICC, TAG_XMP, HeaderView, add_chunk, looks_like_cool, read_header
from coolchic.errors import TruncatedDataError

from .arrays import YUV_CHOICES, read_shape, to_encoder_input, with_alpha, yuv_array

EXTENSION = ".cool"


class CoolPlugin(PluginV3):
    """Read and write Cool-chic ``.cool`` images (one image per file).

    ``read(yuv="rgb")``: 4:2:0 content as RGB (default), ``yuv="yuv444"`` (exact Y, U, V
    samples, chroma repeated 2x2) or ``yuv="planar"`` (1-D raw frame: Y, U, V); ``device`` and ``threads`` choose where to decode.
    ``write(image, **options)``: the options of :func:`coolchic.encode` (``quality``,
    ``lmbda``, ``preset``, ``n_itr``, ``icc_profile``, ``exif``, ``xmp``...).
    """

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self._view: HeaderView | None = None
        self._start = 0
        if request.mode.io_mode == IOMode.read:
            if not looks_like_cool(request.firstbytes):
                raise InitializationError(f"{_name(request)} is not a .cool file")
        elif request.extension not in (None, EXTENSION):
            raise InitializationError(f"the cool plugin writes {EXTENSION} files, not {request.extension}")

    # ------------------------------------------------------------------ reading
    def _header(self) -> HeaderView:
        if self._view is None:
            file = self._request.get_file()
            file.seek(self._start)
            self._view = read_header(file, max_pixels=None)  # checked by decode()
        return self._view

    def _check_index(self, index: Any) -> None:
        if index not in (0, Ellipsis, None):
            raise IndexError(f"a .cool file holds one image; index {index!r} is out of range")

    def read(self, *, index: Any = 0, yuv: str = "rgb", device: str = "cpu", threads: int | None = None) -> Any:
        """Decode the image (``index`` 0 or ``...``)."""
        from coolchic import api

        self._check_index(index)
        if yuv not in YUV_CHOICES:
            raise ValueError(f"yuv: expected one of {', '.join(YUV_CHOICES)}, got {yuv!r}")
        view = self._header()
        file = self._request.get_file()
        file.seek(self._start)
        data = file.read(view.total_length)
        if len(data) < view.total_length:
            raise TruncatedDataError(f".cool data truncated ({len(data)} of {view.total_length} bytes)")
        decoded = api.decode(data, device=device, threads=threads)
        head = view.header
        if yuv != "rgb" and head.color == "yuv420":
            return yuv_array(decoded.planes, yuv)
        alpha = decode_alpha(view.chunks[TAG_ALPHA], head.width, head.height) if self._has_alpha() else None
        image = with_alpha(np.asarray(decoded.array), alpha, head.bitdepth)
        return image[None] if index is Ellipsis else image

    def iter(self, **kwargs: Any) -> Iterator[Any]:
        yield self.read(**kwargs)

    def _has_alpha(self) -> bool:
        return TAG_ALPHA in self._header().chunks

    def properties(self, index: Any = 0, yuv: str = "rgb", **_: Any) -> ImageProperties:
        """Shape and dtype of what :meth:`read` returns, from the header only (no decode)."""
        self._check_index(index)
        head = self._header().header
        shape = read_shape(head.color, head.width, head.height, self._has_alpha(), yuv)
        dtype = np.dtype(np.uint8 if head.bitdepth == 8 else np.uint16)
        if index is Ellipsis:
            return ImageProperties(shape=(1, *shape), dtype=dtype, n_images=1, is_batch=True)
        return ImageProperties(shape=shape, dtype=dtype)

    def metadata(self, index: Any = 0, exclude_applied: bool = True, **_: Any) -> dict[str, Any]:
        """Header fields and the ICC / EXIF / XMP chunks."""
        self._check_index(index)
        view = self._header()
        head = view.header
        meta: dict[str, Any] = {
            "width": head.width,
            "height": head.height,
            "color": head.color,
            "bitdepth": head.bitdepth,
            "profile": head.profile_name,
            "container_version": "%d.%d" % head.version,
            "has_alpha": self._has_alpha(),
        }
        for key, tag in (("icc_profile", TAG_ICC), ("exif", TAG_EXIF), ("xmp", TAG_XMP)):
            if tag in view.chunks:
                meta[key] = view.chunks[tag]
        return meta

    # ------------------------------------------------------------------ writing
    def write(self, ndimage: Any, *, is_batch: bool = False, **options: Any) -> bytes | None:
        """Encode one image; the file is written only once the encode has finished."""
        from coolchic import api

        if is_batch or isinstance(ndimage, list):
            images = list(ndimage)
            if len(images) != 1:
                raise ValueError(f"a .cool file holds one image, got a batch of {len(images)}")
            ndimage = images[0]
        source = to_encoder_input(ndimage)
        data = api.encode(source.image, **options).data
        if source.alpha is not None:
            data = add_chunk(data, TAG_ALPHA, encode_alpha(source.alpha))
        uri_type = self._request._uri_type
        if uri_type == URI_FILENAME:
            atomic_write(self._request.filename, data)
            return None
        file = self._request.get_file()
        file.write(data)
        return data if uri_type == URI_BYTES else None


def _name(request: Request) -> str:
    return "<bytes>" if isinstance(request.raw_uri, bytes) else str(request.raw_uri)
