"""The last phase of a ``lean`` encode, varied from one trained state: no seed noise between variants.

A preset's encode runs up to the start of its STE phase once; each variant then runs the STE
phase at its learning rate and the NN-quantisation search of its mode (``greedy`` or
``full``) from a copy of that state, and is written and decoded as a ``.cool`` file. One TSV
row per variant: the file's bpp, PSNR and RD loss (MSE + λ·bpp) and the STE phase's best
test loss. The first variant is the baseline of the ``vs_first`` column. (With the ``c3`` recipe the
variants replace its first STE phase only.)

Run (from the repository root; two processes side by side on a 2-core machine)::

    .venv/bin/python benchmarks/last_phase_study.py --preset medium --images kodim09 --lambdas 4e-3 \
        --variants 1e-4:greedy,3e-4:greedy,1e-3:greedy,1e-4:full --threads 1

It hooks :func:`coolchic.training.encoder.run_phase` for the duration of each encode (the
encoder has no public stop point there) and ends the encode by an exception once the
variants are done.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
from typing import Any

import numpy as np

from coolchic.api import encoder_options
from coolchic.imageconv import to_planes
from coolchic.training import encoder
from coolchic.training.schedule import build_recipe

from recipe_study import crop, file_figures  # benchmarks/ is on sys.path when one of its scripts runs


class _VariantsDone(Exception):
    """Raised inside the encode once every variant has run."""


def last_phase_rows(image: np.ndarray, preset: str, lmbda: float, variants: list[tuple[float, str]],
                    seed: int, threads: int) -> list[dict[str, Any]]:
    """One row per ``(STE learning rate, search mode)`` variant, in order."""
    planes = to_planes(image)
    options = encoder_options(preset=preset, lmbda=lmbda, seed=seed, threads=threads)
    recipe = build_recipe(options.recipe, options.n_itr, options.start_lr)
    ste_phase = next(phase.name for phase in recipe.phases if phase.proxy == "ste")  # the first STE phase
    run_phase = encoder.run_phase
    rows: list[dict[str, Any]] = []

    def hooked(model, phase, evaluate, generator, clock=None, stopper=None, length=None):  # type: ignore[no-untyped-def]
        if phase.name != ste_phase:
            return run_phase(model, phase, evaluate, generator, clock, stopper, length)
        state, nn_bits = copy.deepcopy(model), evaluate.nn_bits
        for lr, search in variants:
            trial = copy.deepcopy(state)
            evaluate.nn_bits = nn_bits
            test = run_phase(trial, dataclasses.replace(phase, lr=lr), evaluate, generator)
            quantized = encoder._quantize(trial, evaluate, evaluate.target, search, options.avoid_zero_scales)
            bpp, psnr, loss = file_figures(encoder._to_frame(trial, quantized, evaluate.target), planes, options)
            rows.append({"lr": lr, "search": search, "bpp": bpp, "psnr_db": psnr, "loss": loss,
                         "ste_test_loss": test.loss})
        raise _VariantsDone

    encoder.run_phase = hooked
    try:
        encoder.fit(planes, options)
    except _VariantsDone:
        pass
    finally:
        encoder.run_phase = run_phase
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--images", default="kodim09", help="comma-separated Kodak names")
    parser.add_argument("--lambdas", default="4e-3", help="comma-separated λ values")
    parser.add_argument("--variants", default="1e-4:greedy,3e-4:greedy",
                        help="comma-separated LR:SEARCH pairs (SEARCH: greedy or full); the first is the baseline")
    parser.add_argument("--crop", type=int, default=0, help="centre crop side in pixels (0: whole image)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    variants = [(float(lr), search) for lr, search in (v.split(":") for v in args.variants.split(","))]
    print("preset\timage\tlmbda\tste_lr\tsearch\tbpp\tpsnr_db\tloss\tvs_first\tste_test_loss", flush=True)
    for lmbda in (float(x) for x in args.lambdas.split(",")):
        for name in args.images.split(","):
            rows = last_phase_rows(crop(name, args.crop), args.preset, lmbda, variants, args.seed, args.threads)
            for row in rows:
                change = 100 * (row["loss"] / rows[0]["loss"] - 1)
                print(f"{args.preset}\t{name}\t{lmbda:g}\t{row['lr']:g}\t{row['search']}\t{row['bpp']:.4f}\t"
                      f"{row['psnr_db']:.3f}\t{row['loss']:.5e}\t{change:+.2f} %\t{row['ste_test_loss']:.5e}",
                      flush=True)


if __name__ == "__main__":
    main()
