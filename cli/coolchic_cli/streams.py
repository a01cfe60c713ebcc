"""Where bytes come from and go to: files, ``-`` for stdin/stdout, atomic writes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

STDIO = "-"


def read_input(path: str) -> bytes:
    """Read all of ``path`` (``-`` = stdin)."""
    if path == STDIO:
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


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
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
