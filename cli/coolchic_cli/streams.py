"""Where bytes come from and go to: files, ``-`` for stdin/stdout, atomic writes."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from coolchic.atomic import atomic_write

STDIO = "-"


def read_input(path: str) -> bytes:
    """Read all of ``path`` (``-`` = stdin); an ``OSError`` always names what was read."""
    try:
        if path == STDIO:
            if sys.stdin is None:
                raise OSError(errno.EBADF, "closed", "stdin")
            return sys.stdin.buffer.read()
        return Path(path).read_bytes()
    except OSError as exc:
        exc.filename = exc.filename or ("stdin" if path == STDIO else path)
        raise


def check_binary_stdout(path: str) -> None:
    """Refuse to write binary data to a terminal (raised before any work is done)."""
    if path == STDIO and sys.stdout.isatty():
        raise click.UsageError(
            "refusing to write binary data to a terminal; redirect stdout or use -o FILE"
        )


def write_output(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (``-`` = stdout, in one write).

    A file is first written to a temporary file in the same folder, then renamed over
    ``path``, so a reader never sees a half-written output and a failure leaves nothing.
    """
    if path == STDIO:
        check_binary_stdout(path)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    atomic_write(path, data)
