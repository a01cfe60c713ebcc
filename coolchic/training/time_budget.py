"""Fitting an encode into a time limit (``EncoderOptions.time_limit``).

An encode's length is set in iterations, so its time depends on the machine: the presets'
budgets were chosen on the project's Xeon VMs, and an AMD EPYC VM of the same size took
about three times as long per training step (``benchmarks/results/machines.md``).

With a time limit, :class:`TimeBudget` times a few training steps of a throwaway model of
the same architecture and size. It sets time aside for what follows training (the NN
quantisation search, writing the file and the check decode: :data:`FINISH_STEPS` step
times), which gives the training deadline, and lowers ``n_itr`` (never raises it) to what
fits: the work of a recipe is its iterations plus its test passes (:func:`recipe_work`).
That first plan sets the warm-up's length. Then, at the start and at every test point of
each phase, the phase and those after it are planned again at the pace measured so far in
this encode, up to their lengths at ``n_itr``: the main phase may get back iterations that
the first estimate took away, and the STE phase may use time the main phase left over. A
phase whose length changes runs its annealing and cosine learning rate to the new end
(:func:`~coolchic.training.phase.run_phase`), so it is not cut short when the machine slows
down. Training also stops at the deadline whatever the plan said, like a caught Ctrl-C: the
best model so far is quantised with the quick search and returned.
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
from coolchic.training.phase import PhaseLength
from coolchic.training.progress import ProgressClock
from coolchic.training.quantizers import noise_quantize
from coolchic.training.schedule import Phase, Recipe, build_recipe
from coolchic.training.target import Target

TIMED_STEPS = 3
"""Steps timed (after one untimed step, which allocates) to estimate the step time."""

TEST_STEPS = 0.6
"""A test pass (hard rounding, exact rate; no backward pass) in training-step times: 0.55-0.63
on the EPYC VM at 768x512 (``fast``, ``medium`` at λ 1e-3 and 4e-3)."""

FINISH_STEPS = 25.0
"""Time set aside after training, in step times: on the EPYC VM (768x512, ``fast`` and
``medium``) the greedy NN quantisation search took 15-18 step times, the final test,
writing the file and the check decode about 2 more; the rest is a margin for a slow
moment of the machine."""


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


def largest_fitting_n_itr(options: EncoderOptions, fits: Callable[[Recipe], bool]) -> int:
    """The largest ``n_itr`` in 1..``options.n_itr`` whose recipe ``fits`` (1 if none does);
    ``fits`` must only turn false as ``n_itr`` grows."""
    def too_long(n_itr: int) -> bool:
        return not fits(build_recipe(options.recipe, n_itr, options.start_lr))

    return max(1, bisect.bisect_left(range(1, options.n_itr + 1), True, key=too_long))


def phase_work(phase: Phase, ran: int = 0) -> float:
    """Work left in ``phase`` after ``ran`` of its iterations, in step times: the iterations
    and their test passes (one per test period, and the entry test while ``ran`` is 0)."""
    rest = max(0, phase.max_itr - ran)
    return rest + TEST_STEPS * (math.ceil(rest / phase.freq_valid) + (ran == 0))


def recipe_work(recipe: Recipe) -> float:
    """:func:`phase_work` of a whole run of ``recipe``: every warm-up candidate and phase."""
    return sum(n * phase_work(p) for n, p in recipe.warmup) + sum(phase_work(p) for p in recipe.phases)


def affordable_n_itr(options: EncoderOptions, seconds: float, step_s: float) -> int:
    """The largest ``n_itr`` (1 to ``options.n_itr``) whose whole recipe, ``n_train_loops``
    times, is estimated to train within ``seconds`` at ``step_s`` per step (1 if none does)."""
    def fits(recipe: Recipe) -> bool:
        return recipe_work(recipe) * options.n_train_loops * step_s <= seconds

    return largest_fitting_n_itr(options, fits)


class TimeBudget:
    """The plan of an encode that must end within ``options.time_limit`` seconds.

    ``end`` (a :func:`time.perf_counter` value) is when the encode must be done, and
    ``deadline`` when training must stop at the latest (:data:`FINISH_STEPS` timed steps
    ``step_s`` before it); ``n_itr`` is the recipe length planned last and :attr:`recipe`
    that plan; ``pace`` the seconds per step time, measured as the encode goes.
    """

    def __init__(self, options: EncoderOptions, end: float, n_itr: int, step_s: float) -> None:
        self.options = options
        self.end = end
        self.deadline = end - FINISH_STEPS * step_s
        self.n_itr = n_itr
        self.pace = step_s
        self.loops_left = options.n_train_loops
        self.recipe = self._build()

    @classmethod
    def start(cls, target: Target, options: EncoderOptions, started: float | None = None) -> TimeBudget:
        """Make the first plan for ``options.time_limit`` seconds from ``started`` (a
        :func:`time.perf_counter` value; default: now)."""
        assert options.time_limit is not None
        end = (time.perf_counter() if started is None else started) + options.time_limit
        step_s = step_seconds(target, options)
        n_itr = affordable_n_itr(options, end - FINISH_STEPS * step_s - time.perf_counter(), step_s)
        return cls(options, end, n_itr, step_s)

    def _build(self) -> Recipe:
        return build_recipe(self.options.recipe, self.n_itr, self.options.start_lr)

    def next_loop(self) -> Recipe:
        """The plan for the next of ``options.n_train_loops`` runs."""
        self.loops_left -= 1
        self.recipe = self._build()
        return self.recipe

    def plan_phase(self, index: int, clock: ProgressClock, ran: int = 0) -> Phase:
        """Plan phase ``index`` of the current run (which has run ``ran`` of its iterations)
        and the phases after it again, at the pace ``clock`` has measured, so that training
        (the runs still to come counted too) ends by the deadline and leaves the finish its
        :data:`FINISH_STEPS` at that pace; return the phase.

        The phases may grow back up to their lengths at ``options.n_itr``. The clock's plan
        follows the change.
        """
        work_done = clock.done + TEST_STEPS * clock.tests
        if work_done > 0:
            self.pace = clock.elapsed() / work_done
        seconds = self.training_seconds_left()

        def fits(candidate: Recipe) -> bool:
            left = phase_work(candidate.phases[index], ran) + sum(phase_work(p) for p in candidate.phases[index + 1:])
            return (left + self.loops_left * recipe_work(candidate)) * self.pace <= seconds

        before = self._iterations_left(index)
        self.n_itr = largest_fitting_n_itr(self.options, fits)
        self.recipe = replace(self.recipe, phases=self.recipe.phases[:index] + self._build().phases[index:])
        clock.replan(self._iterations_left(index) - before)
        return self.recipe.phases[index]

    def training_seconds_left(self) -> float:
        """Seconds from now until training must stop: by the deadline, and leaving the finish
        its :data:`FINISH_STEPS` at the measured pace."""
        return min(self.deadline, self.end - FINISH_STEPS * self.pace) - time.perf_counter()

    def phase_length(self, index: int, clock: ProgressClock) -> PhaseLength:
        """:meth:`plan_phase` as the ``length`` of :func:`~coolchic.training.phase.run_phase`."""
        return lambda ran: self.plan_phase(index, clock, ran).max_itr

    def _iterations_left(self, index: int) -> int:
        """Planned iterations of the current run's phases from ``index`` on and of the runs
        still to come."""
        return sum(p.max_itr for p in self.recipe.phases[index:]) + self.loops_left * self._build().planned_iterations()
