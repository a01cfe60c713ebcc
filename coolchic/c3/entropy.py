"""Range coding of integer symbols with the 3.0 leaky-quantised Laplace model (spec §5.1, §5.2).

Thin layer over constriction 0.3.x ``stream.queue.RangeEncoder/Decoder`` and
``stream.model.QuantizedLaplace(-A, A+1)``: byte conversion (u32 little-endian words),
precondition checks, and translation of constriction's failures (including Rust panics,
which are ``BaseException``) into :class:`~coolchic.errors.CorruptDataError`.
Also :func:`laplace_bits`, the exact code length of symbols under the 24-bit model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import constriction
import numpy as np

from coolchic.errors import CorruptDataError

PRECISION = 24
MAX_AC_MAX_VAL = 65535


def _is_panic(exc: BaseException) -> bool:
    return type(exc).__name__ == "PanicException"


@contextlib.contextmanager
def corrupt_on_coder_failure(what: str) -> Iterator[None]:
    """Turn any failure of constriction while decoding ``what`` into CorruptDataError."""
    try:
        yield
    except (AssertionError, ValueError, KeyError) as exc:
        raise CorruptDataError(f"{what}: invalid range-coded data ({exc})") from exc
    except BaseException as exc:  # constriction's Rust panics are BaseExceptions
        if _is_panic(exc):
            raise CorruptDataError(f"{what}: range decoder failure ({exc})") from None
        raise


def laplace_family(ac_max: int) -> constriction.stream.model.QuantizedLaplace:
    """The model family QuantizedLaplace(-A, A+1) with per-symbol mean and scale."""
    _check_ac_max(ac_max)
    return constriction.stream.model.QuantizedLaplace(-ac_max, ac_max + 1)


def fixed_laplace(ac_max: int, scale: float) -> constriction.stream.model.QuantizedLaplace:
    """The concrete model QuantizedLaplace(-A, A+1) with mean 0 and the given scale."""
    _check_ac_max(ac_max)
    return constriction.stream.model.QuantizedLaplace(-ac_max, ac_max + 1, 0.0, float(scale))


def _check_ac_max(ac_max: int) -> None:
    if not 0 <= ac_max <= MAX_AC_MAX_VAL:
        raise ValueError(f"AC_MAX_VAL {ac_max} outside [0, {MAX_AC_MAX_VAL}]")


def new_decoder(data: bytes | memoryview) -> constriction.stream.queue.RangeDecoder:
    """Range decoder over a stream of u32 little-endian words (len(data) % 4 == 0)."""
    if len(data) % 4:
        raise CorruptDataError("range-coded stream length is not a multiple of 4")
    words = np.frombuffer(data, dtype="<u4").astype(np.uint32)
    return constriction.stream.queue.RangeDecoder(words)


def check_exhausted(decoder: constriction.stream.queue.RangeDecoder, what: str) -> None:
    """Raise CorruptDataError unless the decoder has consumed its whole stream.

    A stream sealed by the encoder (spec §5.2) leaves no unread word once its last symbol is
    decoded, and ``point - lower`` below 2**33 - 1; constriction's ``maybe_exhausted`` checks
    exactly that.
    """
    with corrupt_on_coder_failure(what):
        exhausted = decoder.maybe_exhausted()
    if not exhausted:
        raise CorruptDataError(f"{what}: data left after the last symbol")


def encoded_bytes(encoder: constriction.stream.queue.RangeEncoder) -> bytes:
    """The sealed stream as bytes (u32 little-endian words)."""
    return encoder.get_compressed().astype("<u4").tobytes()


def laplace_bits(
    symbols: np.ndarray, mu64: np.ndarray, scale128: np.ndarray, ac_max: int
) -> float:
    """Exact code length in bits, ``sum -log2 P(s)``, of symbols under the 24-bit model.

    ``mu64`` = μ·64 and ``scale128`` = coder scale·128 (integers, as from the fixed-point ARM);
    zero scales follow the degenerate rule of spec §5.1. Symbols must lie in [-A, A+1].
    """
    symbols = np.asarray(symbols, dtype=np.int64)
    lo, hi = -ac_max, ac_max + 1
    if symbols.size and (symbols.min() < lo or symbols.max() > hi):
        raise ValueError(f"symbols outside the support [{lo}, {hi}]")
    mu = np.asarray(mu64, dtype=np.float64) / 64
    scale = np.asarray(scale128, dtype=np.float64) / 128
    low = _cumulative(symbols, mu, scale, lo, hi)
    high = _cumulative(symbols + 1, mu, scale, lo, hi)
    return float(np.sum(PRECISION - np.log2(high - low)))


def _cumulative(
    s: np.ndarray, mu: np.ndarray, scale: np.ndarray, lo: int, hi: int
) -> np.ndarray:
    """C(s) of spec §5.1 as float64 (exact integers)."""
    free_weight = float((1 << PRECISION) - 1 - (hi - lo))
    x = s.astype(np.float64) - 0.5
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (x - mu) / scale
        cdf = np.where(x <= mu, 0.5 * np.exp(z), 1.0 - 0.5 * np.exp(-z))
        weighted = np.trunc(np.nan_to_num(free_weight * cdf, nan=0.0))
    c = weighted + (s - lo)
    c = np.where(s <= lo, 0.0, c)
    return np.where(s > hi, float(1 << PRECISION), c)
