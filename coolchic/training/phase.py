"""One training phase (spec §4.3): optimiser, tests, records, patience, annealing, stop."""

from __future__ import annotations

import itertools
from typing import Callable

import torch

from coolchic.training.evaluation import Evaluator, TestResult
from coolchic.training.loop import train_step
from coolchic.training.model import CoolChicModel
from coolchic.training.optim import make_optimizer, phase_parameters
from coolchic.training.progress import ProgressClock
from coolchic.training.quantizers import noise_quantize, ste_quantize
from coolchic.training.schedule import Phase
from coolchic.training.stopper import Stopper


PhaseLength = Callable[[int], int]
"""Called at a phase's test points with the iterations it has run; returns its length from
then on (a time budget's re-plan, :class:`~coolchic.training.time_budget.TimeBudget`)."""


def _anneal(bounds: tuple[float, float], cnt: int, max_itr: int) -> float:
    start, end = bounds
    return start + cnt * (end - start) / max_itr


def run_phase(
    model: CoolChicModel,
    phase: Phase,
    evaluate: Evaluator,
    generator: torch.Generator,
    clock: ProgressClock | None = None,
    stopper: Stopper | None = None,
    length: PhaseLength | None = None,
) -> TestResult:
    """Train ``model`` for one phase, leave it at the phase's best test and return that test.

    The phase starts with its entry state as the record to beat (the 3.0 code starts from
    an infinite loss), so a phase never makes the model worse on the test criterion. A stop
    request (or a caught Ctrl-C, see :class:`Stopper`) ends the phase at once. With
    ``length``, the phase's length may change at each test point: the annealing and the
    cosine learning rate then run to the new end (the learning rate without a jump).
    """
    clock = clock or ProgressClock(phase.max_itr, None)
    stopper = stopper or Stopper()
    params = phase_parameters(model, phase)
    optimizer = make_optimizer(model, phase)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, phase.max_itr // phase.freq_valid))
        if phase.scheduler
        else None
    )
    best = evaluate(model)
    clock.tested()
    best_state = model.snapshot()
    last_record = 0
    ran = 0
    max_itr = phase.max_itr
    temperature, kumaraswamy = phase.temperature[0], phase.kumaraswamy[0]
    try:
        for cnt in itertools.count():
            if cnt >= max_itr or stopper.requested():
                break
            if phase.proxy == "ste":
                train_step(model, lambda x: ste_quantize(x, temperature), evaluate, optimizer, params)
            else:
                train_step(model, lambda x: noise_quantize(x, temperature, kumaraswamy, generator),
                           evaluate, optimizer, params)
            clock.step()
            ran += 1

            if (cnt + 1) % phase.freq_valid and cnt + 1 < max_itr:
                continue
            result = evaluate(model)
            clock.tested()
            if result.is_record(best):
                best, best_state, last_record = result, model.snapshot(), cnt
            if length is not None and cnt + 1 < max_itr:
                max_itr = max(cnt + 1, length(cnt + 1))
                if scheduler is not None:
                    scheduler.T_max = max(1, max_itr // phase.freq_valid)
            clock.report(phase.name, cnt + 1, max_itr, result.loss, result.bpp, result.psnr_db)
            temperature = _anneal(phase.temperature, cnt, max_itr)
            kumaraswamy = _anneal(phase.kumaraswamy, cnt, max_itr)
            if scheduler is not None:
                scheduler.step()
            if cnt - last_record > phase.patience:
                if scheduler is None:
                    break
                model.restore(best_state)
                last_record = cnt
    except KeyboardInterrupt:
        stopper.interrupted()
    clock.skip(max_itr - ran)
    model.restore(best_state)
    return best
