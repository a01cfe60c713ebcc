"""Pillow plugin for ``.cool`` (Cool-chic) images.

``import coolchic_pillow`` (or ``import coolchic``) registers the ``COOL`` format with
Pillow: ``Image.open("x.cool")`` (header only; pixels decoded by ``load()``),
``im.save("y.cool", quality=80)``, the ``.cool`` extension and the ``image/x-cool`` MIME
type. :func:`register` re-registers with decode/encode defaults.
"""

from __future__ import annotations

from typing import Any

__all__ = ["register", "FORMAT", "MIME_TYPE"]

FORMAT = "COOL"
MIME_TYPE = "image/x-cool"


def register(**options: Any) -> None:
    """(Re-)register the ``.cool`` format with Pillow, with default options.

    ``device`` (torch device, default ``"cpu"``) and ``threads`` (torch CPU threads) apply
    to decoding and encoding; any other save option (``quality``, ``lmbda``, ``preset``,
    ``n_itr``, ... see :mod:`coolchic_pillow.encoding`) becomes a default of
    ``im.save(..., format="COOL")``. Each call replaces the previous defaults. Bad names or
    values raise ``ValueError``.
    """
    from . import plugin

    plugin.configure(options)
    plugin.register_plugin()


import coolchic  # noqa: E402,F401  (its import calls coolchic.register(), which calls register())
