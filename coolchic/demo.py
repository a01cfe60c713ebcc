"""End-to-end demo: encode an image (default: the procedural test card) to ``.cool`` and decode it.

    python -m coolchic.demo [--image PATH] [--n-itr N] [--outdir DIR]

Writes ``input.png``, ``<name>.cool`` and ``decoded.png`` in ``--outdir``; prints the
rate, PSNR, timings and paths to stdout, training progress to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .api import decode, encode
from .testcard import render_test_card
from .training.encoder import ProgressEvent


def _load_image(path: Path | None) -> tuple[str, np.ndarray]:
    if path is None:
        return "testcard", render_test_card()
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("L" if im.mode in ("1", "L", "I;16", "I") else "RGB")
        return path.stem, np.asarray(im)


def _progress_printer() -> Callable[[ProgressEvent], None]:
    last = [0.0]

    def show(event: ProgressEvent) -> None:
        now = time.monotonic()
        if now - last[0] >= 2.0:
            last[0] = now
            psnr = "" if event.psnr_db is None else f", {event.psnr_db:.2f} dB"
            print(
                f"  {event.phase}: {event.iteration}/{event.total_iterations}, loss {event.loss:.5f}, "
                f"{event.bpp:.3f} bpp{psnr}",
                file=sys.stderr,
                flush=True,
            )

    return show


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coolchic.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=None, help="image to encode (default: a 192x128 test card)")
    parser.add_argument("--n-itr", type=int, default=300, help="training iterations of the main phase (default 300)")
    parser.add_argument("--lmbda", type=float, default=1e-3, help="rate/distortion weight λ (default 1e-3)")
    parser.add_argument("--outdir", type=Path, default=Path("out/demo"), help="output folder (default out/demo)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: fastest for small images)")
    args = parser.parse_args(argv)

    from PIL import Image

    name, image = _load_image(args.image)
    args.outdir.mkdir(parents=True, exist_ok=True)
    input_png = args.outdir / "input.png"
    Image.fromarray(image).save(input_png)
    print(f"encoding {name} ({image.shape[1]}x{image.shape[0]}), n_itr={args.n_itr}, λ={args.lmbda}", file=sys.stderr)

    result = encode(
        image, lmbda=args.lmbda, n_itr=args.n_itr, n_train_loops=1, seed=args.seed, threads=args.threads,
        progress=_progress_printer(),
    )
    cool_path = args.outdir / f"{name}.cool"
    result.save(cool_path)

    start = time.perf_counter()
    decoded = decode(cool_path, threads=args.threads)
    decode_seconds = time.perf_counter() - start
    decoded_png = args.outdir / "decoded.png"
    Image.fromarray(decoded.array).save(decoded_png)
    same = np.array_equal(decoded.array, result.reconstruction)

    print(f"size      {result.n_bytes} bytes, {result.bpp:.4f} bpp")
    print(f"PSNR      {result.psnr_db:.2f} dB")
    print(f"encode    {result.encode_seconds:.1f} s (training {result.fit_seconds:.1f} s)")
    print(f"decode    {decode_seconds:.2f} s (from file; matches the encoder's reconstruction: {same})")
    print(f"input     {input_png}")
    print(f"coded     {cool_path}")
    print(f"decoded   {decoded_png}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
