"""Which architecture makes the best ``fast`` preset: the default one at 130 iterations or a
lighter one (N=2, ARM 12,12, 16-wide synthesis; 867 instead of 2291 MAC/pixel) given the
same time (195 iterations)?

Run (from the repository root; real encodes through :func:`coolchic.api.encode`, 1 thread)::

    .venv/bin/python benchmarks/fast_architecture_study.py > benchmarks/results/fast_architecture_study.tsv

``loss`` is the rate-distortion loss ``MSE + λ bpp`` of the decoded file (lower is better).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from coolchic.options import LIGHT_ARCHITECTURE

from recipe_study import rd_loss  # benchmarks/ is on sys.path when one of its scripts runs

KODAK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "kodak"
VARIANTS = {"default-130": {"n_itr": 130}, "light-195": {"n_itr": 195, **LIGHT_ARCHITECTURE}}


def main() -> None:
    import coolchic

    print("image\tlmbda\tvariant\tseconds\tbpp\tpsnr_db\tloss", flush=True)
    for name in ("kodim01", "kodim23"):
        pixels = np.asarray(Image.open(KODAK / f"{name}.png").convert("RGB"))
        for lmbda in (1e-3, 4e-3):
            for label, options in VARIANTS.items():
                start = time.perf_counter()
                result = coolchic.encode(pixels, recipe="lean", lmbda=lmbda, threads=1, seed=0, **options)
                seconds = time.perf_counter() - start
                loss = rd_loss(result.psnr_db, result.bpp, lmbda)
                print(f"{name}\t{lmbda:g}\t{label}\t{seconds:.0f}\t{result.bpp:.4f}\t{result.psnr_db:.2f}\t{loss:.6g}",
                      flush=True)


if __name__ == "__main__":
    main()
