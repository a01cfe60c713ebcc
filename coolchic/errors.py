"""Exceptions raised by coolchic. All derive from :class:`CoolchicError` (a ``ValueError``)."""

from __future__ import annotations


class CoolchicError(ValueError):
    """Base class of every error coolchic raises on bad input or unsupported data."""


class NotCoolchicError(CoolchicError):
    """The data is neither a ``.cool`` container nor a Cool-chic 3.0 stream."""


class CorruptDataError(CoolchicError):
    """The data claims to be Cool-chic but is inconsistent (CRC, sizes, symbols...)."""


class TruncatedDataError(CorruptDataError, OSError):
    """The data ends before the structure it declares (also an ``OSError``, as in Pillow)."""


class UnsupportedError(CoolchicError):
    """Valid data using a feature or version this implementation does not support."""


class ImageTooLargeError(CoolchicError):
    """The declared image exceeds the decompression-bomb limit (``max_pixels``)."""
