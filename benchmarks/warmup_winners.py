"""Which warm-up candidate of the ``lean`` recipe wins, and by how much, on Kodak images.

Each (image, λ) runs a preset's encode up to the end of its warm-up (``fit_recipe`` with the
preset's options at that λ, stopped as the main phase starts) and prints one TSV row: the
test loss of every candidate after its warm-up and the index of the winner. With
pretrained networks candidate 0 starts from them, the last one (the backup) too with its
networks at a lower rate, and any in between at random
(:func:`coolchic.training.schedule.lean_recipe`).

Run (from the repository root; two processes side by side on a 2-core machine)::

    .venv/bin/python benchmarks/warmup_winners.py --preset medium --lambdas 1e-3 \
        --images kodim01,kodim03 --candidates 3 --threads 1
"""

from __future__ import annotations

import argparse
import threading

import numpy as np

from coolchic.api import encoder_options
from coolchic.imageconv import to_planes
from coolchic.training.encoder import ProgressEvent, fit_recipe
from coolchic.training.schedule import lean_recipe

from recipe_study import crop  # benchmarks/ is on sys.path when one of its scripts runs


def warmup_losses(image: np.ndarray, preset: str, lmbda: float, candidates: int, seed: int,
                  threads: int) -> list[float]:
    """The test loss of each warm-up candidate at the end of its warm-up, in candidate order."""
    options = encoder_options(preset=preset, lmbda=lmbda, seed=seed, threads=threads)
    recipe = lean_recipe(options.n_itr, options.start_lr, candidates=candidates)
    warmup = {phase.name for _, phase in recipe.warmup}
    losses: list[float] = []
    stop = threading.Event()

    def progress(event: ProgressEvent) -> None:
        if event.phase not in warmup:
            stop.set()
        elif event.iteration == event.total_iterations:
            losses.append(event.loss)

    fit_recipe(to_planes(image), options, recipe, progress, stop)
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--images", default="kodim01", help="comma-separated Kodak names")
    parser.add_argument("--lambdas", default="1e-3", help="comma-separated λ values")
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for lmbda in (float(x) for x in args.lambdas.split(",")):
        for name in args.images.split(","):
            losses = warmup_losses(crop(name, 0), args.preset, lmbda, args.candidates, args.seed, args.threads)
            winner = min(range(len(losses)), key=losses.__getitem__)
            print("\t".join([name, f"{lmbda:g}", str(args.seed), str(winner), *(f"{x:.5e}" for x in losses)]),
                  flush=True)


if __name__ == "__main__":
    main()
