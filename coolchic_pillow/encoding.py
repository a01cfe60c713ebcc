"""PIL image → ``.cool`` bytes: the one encode path of ``Image.save`` and the CLI.

Keyword arguments are those of ``im.save(..., format="COOL", ...)``: ``quality`` (0-100)
or ``lmbda`` (not both), ``preset``, ``device``, ``threads``, ``seed``, ``progress``,
``icc_profile`` (default: ``im.info["icc_profile"]``; ``None`` drops it), ``exif``
(bytes or ``PIL.Image.Exif``), ``xmp`` (bytes or str) and the encoder options of
:class:`coolchic.options.EncoderOptions` (``n_itr``, ``layers_arm``...). Anything else
raises ``ValueError``.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from coolchic.alpha import TAG_ALPHA, encode_alpha
from coolchic.container import add_chunk

from .modes import to_encoder_input

_IGNORED = ("append_images", "format")
"""Keys Pillow may leave in ``encoderinfo`` that mean nothing for a single-image format."""


def _as_bytes(name: str, value: Any) -> bytes | None:
    if value is None or value == b"" or value == "":
        return None
    if isinstance(value, Image.Exif):
        return value.tobytes()
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ValueError(f"{name}: expected bytes, got {type(value).__name__}")


def encode_pil(im: Image.Image, defaults: dict[str, Any] | None = None, **params: Any) -> tuple[bytes, Any]:
    """Encode ``im``; return ``(cool_bytes, EncodeResult)``. ``defaults`` fill unset options."""
    from coolchic import api

    defaults = dict(defaults or {})
    if "quality" in params or "lmbda" in params:
        defaults.pop("quality", None)
        defaults.pop("lmbda", None)
    options = {**defaults, **params}
    for key in _IGNORED:
        options.pop(key, None)
    if options.get("quality") is not None and options.get("lmbda") is not None:
        raise ValueError("quality and lmbda are mutually exclusive: give one of them")
    options = {key: value for key, value in options.items() if value is not None or key == "icc_profile"}
    icc = _as_bytes("icc_profile", options.pop("icc_profile", im.info.get("icc_profile")))
    exif = _as_bytes("exif", options.pop("exif", None))
    xmp = _as_bytes("xmp", options.pop("xmp", None))
    source = to_encoder_input(im)
    result = api.encode(source.image, icc_profile=icc, exif=exif, xmp=xmp, **options)
    data = result.data
    if source.alpha is not None:
        data = add_chunk(data, TAG_ALPHA, encode_alpha(source.alpha))
    return data, result
