"""The click group: exit codes, error reporting and quiet handling of closed pipes.

Exit codes: 0 success, 1 failure (``coolchic: error: ...`` on stderr, traceback only
with ``-v``), 2 usage error (click's own). A closed stdout pipe exits quietly with 0.
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from typing import Any

import click


class Failure(click.ClickException):
    """A reported failure: ``coolchic: error: <message>`` and exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"coolchic: error: {self.format_message()}", err=True)


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class _ClosedStdout:
    """Stands for a stdout that was closed before the start (``>&-``): writing fails."""

    def _fail(self, *args: Any) -> Any:
        raise OSError(errno.EBADF, "closed", "stdout")

    write = isatty = fileno = _fail
    buffer = property(_fail)

    def flush(self) -> None:
        """Nothing to flush (keeps the interpreter's exit quiet)."""


class CoolchicGroup(click.Group):
    """A group whose commands turn every exception into a one-line error (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        if sys.stdout is None:  # closed fd 1: Python sets sys.stdout to None and prints go nowhere
            sys.stdout = _ClosedStdout()  # type: ignore[assignment]
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("coolchic: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the CLI's single error boundary
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                _silence_stdout()
                ctx.exit(0)
            if verbosity(ctx) > 0:
                traceback.print_exc(file=sys.stderr)
            raise Failure(describe(exc)) from exc


def describe(exc: BaseException) -> str:
    """A one-line, user-facing description of an exception."""
    if isinstance(exc, OSError) and exc.strerror and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def _state(ctx: click.Context) -> dict[str, Any]:
    root = ctx.find_root()
    if not isinstance(root.obj, dict):
        root.obj = {}
    return root.obj


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    state = _state(ctx)
    if param.name == "quiet":
        state["quiet"] = bool(state.get("quiet")) or bool(value)
    else:
        state["verbose"] = int(state.get("verbose", 0)) + int(value or 0)


def verbosity_options(func: Any) -> Any:
    """``-q/--quiet`` and ``-v/--verbose``, accepted before or after the sub-command."""
    func = click.option(
        "-v", "--verbose", count=True, expose_value=False, callback=_store,
        help="More output; with an error, print the traceback.",
    )(func)
    return click.option(
        "-q", "--quiet", is_flag=True, expose_value=False, callback=_store,
        help="No progress or log lines on stderr (errors are still reported).",
    )(func)


def verbosity(ctx: click.Context | None = None) -> int:
    """-1 with ``-q``, else the number of ``-v``."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return 0
    state = _state(ctx)
    return -1 if state.get("quiet") else int(state.get("verbose", 0))


def log(message: str) -> None:
    """A log line on stderr (never stdout), unless ``-q``."""
    if verbosity() >= 0:
        click.echo(message, err=True)
