"""Write a file atomically: temporary file in the same folder, then rename over the target.

A failed or interrupted write (exception, Ctrl-C, disk full) leaves an existing target
untouched and no temporary file behind. Used by the Pillow and imageio plugins and the CLI.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | bytes | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    The new file gets the permissions of a freshly created file (``0o666 & ~umask``).
    """
    target = Path(os.fsdecode(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _about(exc, target) from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _about(exc, target) from None
        raise


def _about(exc: OSError, target: Path) -> OSError:
    """``exc`` naming the target rather than the temporary file (or nothing)."""
    exc.filename, exc.filename2 = str(target), None
    return exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
