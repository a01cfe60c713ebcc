"""Encoder progress on stderr: a live bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from coolchic.training.progress import ProgressEvent

_BAR_WIDTH = 24
_REDRAW_SECONDS = 0.1
_LOG_SECONDS = 5.0


def _describe(event: ProgressEvent) -> str:
    psnr = "" if event.psnr_db is None else f" psnr {event.psnr_db:.2f} dB"
    left = "" if event.eta_s is None else f" eta {_duration(event.eta_s)}"
    return f"loss {event.loss:.5g} bpp {event.bpp:.4f}{psnr}{left}"


def _duration(seconds: float) -> str:
    """``42s``, ``3m05s`` or ``1h02m``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _overall(event: ProgressEvent) -> str:
    """``37% `` of the whole encode's planned iterations (empty for events without a plan)."""
    return f"{100 * event.done // event.planned}% " if event.planned else ""


class Progress:
    """A ``progress`` callback for :func:`coolchic.encode` (events: phase, iteration, total...).

    On a terminal it redraws one status line with a bar for the current phase; otherwise it
    logs a plain line at most every 5 s (``every_phase``: one per finished phase too) and
    one for the last event.
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, every_phase: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.every_phase = every_phase
        self._last: ProgressEvent | None = None
        self._logged: ProgressEvent | None = None
        self._start = time.monotonic()
        self._last_write = 0.0
        self._phases = 0

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if self._last is not None and event.phase != self._last.phase:
            self._phases += 1
            if not self.live and self.every_phase:
                self._log(self._last)
        if self.live and now - self._last_write >= _REDRAW_SECONDS:
            self._draw(event)
            self._last_write = now
        self._last = event
        if not self.live and now - self._start >= _LOG_SECONDS and now - self._last_write >= _LOG_SECONDS:
            self._log(event)

    def _log(self, event: ProgressEvent) -> None:
        self.stream.write(
            f"coolchic: {_overall(event)}phase {event.phase}: itr {event.iteration}/{event.total_iterations} {_describe(event)}\n"
        )
        self.stream.flush()
        self._last_write = time.monotonic()
        self._logged = event

    def _draw(self, event: ProgressEvent) -> None:
        total = max(int(event.total_iterations), 1)
        done = min(int(event.iteration), total)
        filled = _BAR_WIDTH * done // total
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        line = f"\r\x1b[2K{_overall(event)}phase {self._phases + 1} ({event.phase}) [{bar}] {done}/{total} {_describe(event)}"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        """Finish: log the last event unless just logged (plain mode) or clear the status line (terminal)."""
        if self._last is None:
            return
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
        elif self._last is not self._logged:
            self._log(self._last)
        self._last = None
