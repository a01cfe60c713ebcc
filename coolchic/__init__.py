"""coolchic: the Cool-chic 3.0 overfitted neural image codec as an image format (``.cool``).

Public API (loaded lazily, so ``import coolchic`` imports neither torch nor the codec)::

    result = coolchic.encode(image, quality=60, n_itr=300)   # -> EncodeResult
    decoded = coolchic.decode(result.data)                    # -> Decoded (.array, .planes, .info)
    info = coolchic.read_info("photo.cool")                   # -> Info, never imports torch

``coolchic.YUV420(y, u, v, bitdepth)`` describes 4:2:0 input. Errors on bad data derive
from :class:`coolchic.CoolchicError` (a ``ValueError``). Importing the package registers
the Pillow and imageio plugins when those packages are installed (see :func:`register`).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from .errors import (
    CoolchicError,
    CorruptDataError,
    ImageTooLargeError,
    NotCoolchicError,
    TruncatedDataError,
    UnsupportedError,
)

__version__ = "0.1.0"

_LAZY = {
    "encode": "coolchic.api",
    "decode": "coolchic.api",
    "read_info": "coolchic.api",
    "quality_to_lmbda": "coolchic.api",
    "EncodeResult": "coolchic.api",
    "Decoded": "coolchic.api",
    "Info": "coolchic.api",
    "YUV420": "coolchic.imageconv",
    "EncoderOptions": "coolchic.options",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'coolchic' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


def register(**options: Any) -> None:
    """Register the ``.cool`` Pillow plugin and imageio plugin, where they are installed.

    ``options`` (encoder option names, e.g. ``n_itr=300``) become the Pillow plugin's
    default save options. Calling it again replaces those defaults.
    """
    for name, kwargs in (("coolchic_pillow", options), ("coolchic_imageio", {})):
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(**kwargs)


__all__ = [
    "CoolchicError",
    "CorruptDataError",
    "ImageTooLargeError",
    "NotCoolchicError",
    "TruncatedDataError",
    "UnsupportedError",
    "register",
    *_LAZY,
]

register()
