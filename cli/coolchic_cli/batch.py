"""Encoding many inputs in parallel: one process per image, one torch thread each.

On a few CPU cores, single-thread encodes side by side finish a batch sooner than the
same images encoded one after the other with all threads (see
``benchmarks/results/recipe_study.md``). Folders are expanded to the images they hold.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .encoding import encode_input
from .sources import RawYuvFlags
from .streams import read_input, write_output

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".ppm", ".pgm", ".bmp", ".tif", ".tiff", ".webp", ".yuv")


@dataclass(frozen=True)
class Done:
    """One finished encode."""

    src: str
    out: str
    n_bytes: int
    bpp: float
    psnr_db: float
    seconds: float


def expand_inputs(paths: tuple[str, ...]) -> list[str]:
    """Files as given; folders replaced by their image files (sorted, not recursive)."""
    out: list[str] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            out += sorted(str(f) for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(path)
    return out


def output_path(src: str, out_dir: str | None) -> str:
    """``IN`` with ``.cool`` (in ``out_dir`` when given)."""
    name = Path(src).with_suffix(".cool")
    return str(Path(out_dir) / name.name if out_dir is not None else name)


def default_jobs() -> int:
    """Processes to use: the CPUs this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def encode_one(src: str, out: str, flags: RawYuvFlags, metadata: str, options: dict[str, Any]) -> Done:
    """Encode one file to ``out`` (runs in a worker process)."""
    start = time.perf_counter()
    cool, result = encode_input(src, read_input(src), flags, metadata, options)
    write_output(out, cool)
    info = result.info
    return Done(src, out, len(cool), 8.0 * len(cool) / (info.width * info.height), result.psnr_db,
                time.perf_counter() - start)


def encode_many(
    pairs: list[tuple[str, str]],
    flags: RawYuvFlags,
    metadata: str,
    options: dict[str, Any],
    jobs: int,
    report: Callable[[Done | tuple[str, BaseException]], None],
) -> int:
    """Encode ``(src, out)`` pairs with ``jobs`` processes; return how many failed.

    Each encode uses one torch thread unless ``options`` sets ``threads``. ``report`` is
    called in this process as each encode ends (a :class:`Done` or ``(src, error)``).
    """
    options = {"threads": 1, **options}
    failures = 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(pairs))), mp_context=context) as pool:
        pending: dict[Future[Done], str] = {
            pool.submit(encode_one, src, out, flags, metadata, options): src for src, out in pairs
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                src = pending.pop(future)
                error = future.exception()
                if error is None:
                    report(future.result())
                else:
                    failures += 1
                    report((src, error))
    return failures
