"""Fitting an encode into a time limit (``EncoderOptions.time_limit``).

An encode's length is set in iterations, so its time depends on the machine: the presets'
budgets were chosen on the project's Xeon VMs, and an AMD EPYC VM of the same size took
about three times as long per training step (``benchmarks/results/machines.md``). With a
time limit, the encoder first times a few training steps of a throwaway model of the same
architecture and size, then lowers ``n_itr`` (never raises it) to what fits, counting every
phase of the recipe (:meth:`~coolchic.training.schedule.Recipe.planned_iterations`) and an
allowance for the test passes and the NN quantisation (:data:`OVERHEAD`). Training also
stops at the limit whatever the estimate said, like a caught Ctrl-C: the best model so far
is quantised with the quick search and returned, so the encode ends a few seconds after it.
"""

from __future__ import annotations

import bisect
import time

import torch

from coolchic.options import EncoderOptions
from coolchic.training.evaluation import Evaluator
from coolchic.training.loop import train_step
from coolchic.training.model import CoolChicModel
from coolchic.training.optim import make_optimizer, phase_parameters
from coolchic.training.quantizers import noise_quantize
from coolchic.training.schedule import build_recipe
from coolchic.training.target import Target

TIMED_STEPS = 3
"""Steps timed (after one untimed step, which allocates) to estimate the step time."""

OVERHEAD = 1.15
"""Encode time per planned iteration, in step times: the test passes, the NN quantisation
search and the warm-up candidates' set-up come on top of the steps themselves. With it, on
the EPYC VM (kodim01, quality 60, 2 threads) ``fast`` with 60 s trained for 55.9 s and
``medium`` with 300 s for 286.3 s (58.7 s and 289.9 s with writing and the check decode)."""


def step_seconds(target: Target, options: EncoderOptions) -> float:
    """Median wall time of one main-phase training step of ``options``' model on ``target``."""
    arch = options.architecture(target.out_channels)
    model = CoolChicModel(arch, target.height, target.width, torch.Generator().manual_seed(0)).to(options.device)
    phase = build_recipe(options.recipe, options.n_itr, options.start_lr).phases[0]
    optimizer = make_optimizer(model, phase)
    params = phase_parameters(model, phase)
    evaluate = Evaluator(target, options.lmbda)
    noise = torch.Generator(device=options.device).manual_seed(0)
    device = torch.device(options.device)
    times = []
    for _ in range(1 + TIMED_STEPS):
        start = time.perf_counter()
        train_step(model, lambda x: noise_quantize(x, phase.temperature[0], phase.kumaraswamy[0], noise),
                   evaluate, optimizer, params)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    timed = sorted(times[1:])
    return timed[len(timed) // 2]


def affordable_n_itr(options: EncoderOptions, seconds: float, step_s: float) -> int:
    """The largest ``n_itr`` (1 to ``options.n_itr``) whose whole recipe, ``n_train_loops``
    times, is estimated to train within ``seconds`` at ``step_s`` per step (1 if none does)."""
    def fits(n_itr: int) -> bool:
        planned = build_recipe(options.recipe, n_itr, options.start_lr).planned_iterations()
        return planned * options.n_train_loops * step_s * OVERHEAD <= seconds

    fitting = bisect.bisect_left(range(1, options.n_itr + 1), True, key=lambda n_itr: not fits(n_itr))
    return max(1, fitting)
