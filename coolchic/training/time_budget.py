"""Fitting an encode into a time limit (``EncoderOptions.time_limit``).

An encode's length is set in iterations, so its time depends on the machine: the presets'
budgets were chosen on the project's Xeon VMs, and an AMD EPYC VM of the same size took
about three times as long per training step (``benchmarks/results/machines.md``).

With a time limit, :class:`TimeBudget` times a few training steps of a throwaway model of
the same architecture and size. It sets time aside for what follows training (the NN
quantisation search, writing the file and the check decode: :data:`FINISH_STEPS` step
times), which gives the training deadline, and lowers ``n_itr`` (never raises it) to what
fits: the work of a recipe is its iterations plus its test passes (:func:`recipe_work`).
That first plan sets the warm-up's length. Then, before each phase, the phases left are
planned again at the pace measured so far in this encode: the main phase may get back
iterations that the first estimate took away (up to ``n_itr``), and the later phases only
shrink, so that each phase runs its whole schedule (cosine learning rate, annealing)
instead of being cut. Training also stops at the deadline whatever the plan said, like a
caught Ctrl-C: the best model so far is quantised with the quick search and returned.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import replace
from typing import Callable

import torch

from coolchic.options import EncoderOptions
from coolchic.training.evaluation import Evaluator
from coolchic.training.loop import train_step
from coolchic.training.model import CoolChicModel
from coolchic.training.optim import make_optimizer, phase_parameters
from coolchic.training.progress import ProgressClock
from coolchic.training.quantizers import noise_quantize
from coolchic.training.schedule import Phase, Recipe, build_recipe
from coolchic.training.target import Target

TIMED_STEPS = 3
"""Steps timed (after one untimed step, which allocates) to estimate the step time."""

TEST_STEPS = 0.6
"""A test pass (hard rounding, exact rate; no backward pass) in training-step times: 0.55-0.63
on the EPYC VM at 768x512 (``fast``, ``medium`` at λ 1e-3 and 4e-3)."""

FINISH_STEPS = 20.0
"""Time set aside after training, in timed step times: the greedy NN quantisation search
took 15-18 step times on the EPYC VM (768x512, ``fast`` and ``medium``), writing the file
and the check decode about one more."""


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


def largest_fitting_n_itr(options: EncoderOptions, cap: int, fits: Callable[[Recipe], bool]) -> int:
    """The largest ``n_itr`` in 1..``cap`` whose recipe ``fits`` (1 if none does); ``fits``
    must only turn false as ``n_itr`` grows."""
    def too_long(n_itr: int) -> bool:
        return not fits(build_recipe(options.recipe, n_itr, options.start_lr))

    return max(1, bisect.bisect_left(range(1, cap + 1), True, key=too_long))


def phase_work(phase: Phase) -> float:
    """A phase's iterations plus its test passes (one on entry, one per test period), in step times."""
    return phase.max_itr + TEST_STEPS * (1 + math.ceil(phase.max_itr / phase.freq_valid))


def recipe_work(recipe: Recipe) -> float:
    """:func:`phase_work` of a whole run of ``recipe``: every warm-up candidate and phase."""
    return sum(n * phase_work(p) for n, p in recipe.warmup) + sum(phase_work(p) for p in recipe.phases)


def affordable_n_itr(options: EncoderOptions, seconds: float, step_s: float) -> int:
    """The largest ``n_itr`` (1 to ``options.n_itr``) whose whole recipe, ``n_train_loops``
    times, is estimated to train within ``seconds`` at ``step_s`` per step (1 if none does)."""
    def fits(recipe: Recipe) -> bool:
        return recipe_work(recipe) * options.n_train_loops * step_s <= seconds

    return largest_fitting_n_itr(options, options.n_itr, fits)


class TimeBudget:
    """The plan of an encode that must end within ``options.time_limit`` seconds.

    ``deadline`` (a :func:`time.perf_counter` value) is when training must stop; ``n_itr``
    is the recipe length planned last; ``pace`` the seconds per step time assumed until the
    encode has timed its own.
    """

    def __init__(self, options: EncoderOptions, deadline: float, n_itr: int, pace: float) -> None:
        self.options = options
        self.deadline = deadline
        self.n_itr = n_itr
        self.pace = pace
        self.loops_left = options.n_train_loops

    @classmethod
    def start(cls, target: Target, options: EncoderOptions) -> TimeBudget:
        """Start the clock of ``options.time_limit`` now and make the first plan."""
        assert options.time_limit is not None
        start = time.perf_counter()
        step_s = step_seconds(target, options)
        deadline = start + options.time_limit - FINISH_STEPS * step_s
        n_itr = affordable_n_itr(options, deadline - time.perf_counter(), step_s)
        return cls(options, deadline, n_itr, step_s)

    def recipe(self) -> Recipe:
        """The recipe of the current plan."""
        return build_recipe(self.options.recipe, self.n_itr, self.options.start_lr)

    def next_loop(self) -> Recipe:
        """The recipe for the next of ``options.n_train_loops`` runs."""
        self.loops_left -= 1
        return self.recipe()

    def refit(self, recipe: Recipe, first_phase: int, clock: ProgressClock) -> Recipe:
        """``recipe`` with its phases from ``first_phase`` on planned again to end by the
        deadline, at the pace ``clock`` measured so far (the runs still to come counted too).

        The main phase (``first_phase`` 0) may grow back up to ``options.n_itr``; later
        phases only shrink. The clock's plan follows the change.
        """
        work_done = clock.done + TEST_STEPS * clock.tests
        if work_done > 0:
            self.pace = clock.elapsed() / work_done
        seconds = self.deadline - time.perf_counter()
        cap = self.options.n_itr if first_phase == 0 else self.n_itr

        def fits(candidate: Recipe) -> bool:
            phases_left = sum(phase_work(p) for p in candidate.phases[first_phase:])
            return (phases_left + self.loops_left * recipe_work(candidate)) * self.pace <= seconds

        before = self._iterations_left(recipe, first_phase)
        self.n_itr = largest_fitting_n_itr(self.options, cap, fits)
        planned = replace(recipe, phases=recipe.phases[:first_phase] + self.recipe().phases[first_phase:])
        clock.replan(self._iterations_left(planned, first_phase) - before)
        return planned

    def _iterations_left(self, recipe: Recipe, first_phase: int) -> int:
        """Planned iterations of ``recipe``'s phases from ``first_phase`` on and of the runs
        still to come (at the current plan)."""
        return sum(p.max_itr for p in recipe.phases[first_phase:]) + self.loops_left * self.recipe().planned_iterations()
