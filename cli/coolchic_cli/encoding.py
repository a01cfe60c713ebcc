"""Encoding one input (image file or raw 4:2:0 .yuv) to ``.cool`` bytes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

from .sources import RawYuvFlags, image_metadata, is_raw_yuv, load_image


def encode_input(
    src: str, data: bytes, flags: RawYuvFlags, metadata: str, options: dict[str, Any],
    progress: Callable[[Any], None] | None = None,
) -> tuple[bytes, Any]:
    """Encode ``data`` read from ``src``; return ``(cool bytes, EncodeResult)``."""
    from coolchic import api
    from coolchic_pillow.encoding import encode_pil

    image = load_image(src, data, flags)
    if is_raw_yuv(src, flags):
        result = api.encode(image, progress=progress, **options)
        return result.data, result
    return encode_pil(image, progress=progress, **image_metadata(image, metadata), **options)


@contextmanager
def finish_on_first_interrupt(announce: Callable[[str], None]) -> Iterator[None]:
    """Ctrl-C once: announce and let the encoder finish with its best model; twice: abort.

    The encoder (``finish_on_interrupt=True``) catches the first ``KeyboardInterrupt``;
    the handler then restores Python's default one, so a second Ctrl-C aborts.
    """
    previous = signal.getsignal(signal.SIGINT)

    def first(signum: int, frame: Any) -> None:
        announce("coolchic: interrupted: finishing with the best model so far (Ctrl-C again to abort)")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, first)
    except ValueError:  # not the main thread: keep the current handler
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
