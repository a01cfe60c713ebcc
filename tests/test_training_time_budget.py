"""Time limits: the planned iterations, the deadline stop, and encodes that honour both."""

from __future__ import annotations

import math
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training import progress, time_budget
from coolchic.training.encoder import ProgressEvent, fit
from coolchic.training.progress import ProgressClock
from coolchic.training.schedule import Phase, build_recipe
from coolchic.training.stopper import Stopper
from coolchic.training.target import Target
from coolchic.training.time_budget import (
    FINISH_STEPS, TEST_STEPS, TimeBudget, affordable_n_itr, phase_work, recipe_work, step_seconds,
)

TINY = dict(seed=0, threads=1, layers_arm="8,8", layers_synthesis="8-1-linear-relu,X-1-linear-none",
            n_ft_per_res="1,1,1", recipe="lean")


def _image(height: int = 24, width: int = 32) -> Planes:
    rng = np.random.default_rng(0)
    return Planes("rgb", 8, tuple(rng.integers(0, 256, (height, width), dtype=np.uint8) for _ in range(3)))


def _seconds(options: EncoderOptions, n_itr: int, step_s: float) -> float:
    return recipe_work(build_recipe(options.recipe, n_itr, options.start_lr)) * options.n_train_loops * step_s




@pytest.mark.parametrize("recipe", ["lean", "c3"])
@pytest.mark.parametrize("loops", [1, 3])
def test_affordable_n_itr_is_the_largest_that_fits(recipe: str, loops: int) -> None:
    options = EncoderOptions(n_itr=2000, recipe=recipe, n_train_loops=loops)
    step_s = 0.25
    for share in (0.05, 0.3, 0.9):
        seconds = share * _seconds(options, 2000, step_s)
        n_itr = affordable_n_itr(options, seconds, step_s)
        assert 1 <= n_itr < 2000
        assert _seconds(options, n_itr, step_s) <= seconds < _seconds(options, n_itr + 1, step_s)


def test_affordable_n_itr_never_raises_the_budget_and_keeps_one_iteration() -> None:
    options = EncoderOptions(n_itr=300, recipe="lean")
    assert affordable_n_itr(options, 1e9, 0.1) == 300
    assert affordable_n_itr(options, 1e-6, 0.1) == 1


def test_step_seconds_times_a_training_step() -> None:
    step_s = step_seconds(Target(_image(), "cpu"), EncoderOptions(**TINY))
    assert 0 < step_s < 10


def test_a_passed_deadline_is_a_stop_request_that_leaves_the_callers_event_alone() -> None:
    event = threading.Event()
    assert Stopper(event, deadline=time.perf_counter() + 3600).requested() is False
    assert Stopper(event, deadline=time.perf_counter() - 1).requested() is True
    assert not event.is_set()


def test_a_time_limit_shortens_the_main_phase_and_stops_training() -> None:
    events: list[ProgressEvent] = []
    options = EncoderOptions(**TINY, n_itr=1_000_000, time_limit=1.0)
    start = time.perf_counter()
    frame = fit(_image(), options, progress=events.append)
    elapsed = time.perf_counter() - start
    phase0 = [e.total_iterations for e in events if e.phase == "phase0"]
    assert phase0 and phase0[0] < 1_000_000  # planned from the measured step
    assert events[-1].done < 100_000
    assert elapsed < 60  # 1 000 000 iterations would take hours
    assert (frame.height, frame.width) == (24, 32) and frame.arm.weight_q_index is not None


def test_a_generous_time_limit_changes_nothing() -> None:
    options = EncoderOptions(**TINY, n_itr=20)
    events: list[ProgressEvent] = []
    limited: list[ProgressEvent] = []
    fit(_image(), options, progress=events.append)
    fit(_image(), EncoderOptions(**TINY, n_itr=20, time_limit=3600.0), progress=limited.append)
    assert [(e.phase, e.iteration, e.loss) for e in limited] == [(e.phase, e.iteration, e.loss) for e in events]


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "60", True])
def test_bad_time_limits_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="time_limit"):
        EncoderOptions(time_limit=bad)  # type: ignore[arg-type]


class _FakeTime:
    """A ``time`` module whose clock only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> _FakeTime:
    clock = _FakeTime()
    fake = SimpleNamespace(perf_counter=clock.perf_counter)
    monkeypatch.setattr(time_budget, "time", fake)
    monkeypatch.setattr(progress, "time", fake)
    return clock


def _budget_after_warmup(fake_time: _FakeTime, options: EncoderOptions, n_itr: int, seconds_left: float,
                         pace: float) -> tuple[TimeBudget, ProgressClock]:
    """A budget first planned at ``n_itr`` whose warm-up ran at ``pace`` seconds per step time
    and left ``seconds_left`` seconds before the deadline."""
    budget = TimeBudget(options, fake_time.now, n_itr, step_s=pace)
    recipe = budget.next_loop()
    clock = ProgressClock(recipe.planned_iterations(), None)
    (candidates, warm), = recipe.warmup
    _run(fake_time, clock, warm, pace, times=candidates)
    _leave(fake_time, budget, seconds_left)
    return budget, clock


def _leave(fake_time: _FakeTime, budget: TimeBudget, seconds: float) -> None:
    """Move ``budget``'s end so that ``seconds`` are left for training."""
    budget.end = fake_time.now + seconds + FINISH_STEPS * budget.pace
    budget.deadline = budget.end - FINISH_STEPS * budget.pace


def _run(fake_time: _FakeTime, clock: ProgressClock, phase: Phase, pace: float, ran: int = 0,
         until: int | None = None, times: int = 1) -> None:
    """Count ``phase``'s iterations ``ran`` to ``until`` (default: its end) and their tests
    on ``clock``, ``times`` over, the fake time moving at ``pace``."""
    until = phase.max_itr if until is None else until
    for _ in range(times):
        work = phase_work(phase, ran) - phase_work(phase, until)
        clock.step(until - ran)
        for _ in range(round((work - (until - ran)) / TEST_STEPS)):
            clock.tested()
        fake_time.now += pace * work


def _phases_work(phases) -> float:  # type: ignore[no-untyped-def]
    return sum(phase_work(p) for p in phases)


def test_a_phase_costs_its_iterations_and_its_test_passes() -> None:
    main, ste = build_recipe("lean", 1000, 1e-2).phases
    assert main.max_itr == 1000 and main.freq_valid == 50
    assert phase_work(main) == pytest.approx(1000 + TEST_STEPS * (1 + 20))
    assert phase_work(main, ran=400) == pytest.approx(600 + TEST_STEPS * 12)
    assert phase_work(main, ran=1000) == 0
    assert phase_work(ste) == pytest.approx(ste.max_itr + TEST_STEPS * (1 + math.ceil(ste.max_itr / ste.freq_valid)))
    recipe = build_recipe("lean", 1000, 1e-2)
    (candidates, warm), = recipe.warmup
    assert recipe_work(recipe) == pytest.approx(candidates * phase_work(warm) + phase_work(main) + phase_work(ste))


def test_the_main_phase_is_planned_again_at_the_measured_pace(fake_time: _FakeTime) -> None:
    options = EncoderOptions(n_itr=2000, recipe="lean")
    budget, clock = _budget_after_warmup(fake_time, options, n_itr=500, seconds_left=600.0, pace=0.5)
    first = budget.recipe
    main = budget.plan_phase(0, clock)
    assert budget.pace == pytest.approx(0.5)
    assert 500 < main.max_itr < 2000  # the first plan was too cautious: iterations come back
    seconds = budget.training_seconds_left()  # about 600 s at 0.5 s per step
    assert _phases_work(budget.recipe.phases) * budget.pace <= seconds
    longer = build_recipe("lean", main.max_itr + 1, options.start_lr)
    assert _phases_work(longer.phases) * budget.pace > seconds
    ste = budget.recipe.phases[1]
    assert ste == build_recipe("lean", main.max_itr, options.start_lr).phases[1]
    assert clock.planned == first.planned_iterations() + (main.max_itr - 500) + (ste.max_itr - first.phases[1].max_itr)


def test_the_main_phase_never_grows_past_n_itr(fake_time: _FakeTime) -> None:
    options = EncoderOptions(n_itr=300, recipe="lean")
    budget, clock = _budget_after_warmup(fake_time, options, n_itr=100, seconds_left=1e6, pace=0.5)
    budget.plan_phase(0, clock)
    assert budget.recipe.phases == build_recipe("lean", 300, options.start_lr).phases


def test_a_slower_machine_shortens_the_main_phase_while_it_runs(fake_time: _FakeTime) -> None:
    options = EncoderOptions(n_itr=2000, recipe="lean")
    budget, clock = _budget_after_warmup(fake_time, options, n_itr=1000, seconds_left=600.0, pace=0.5)
    main = budget.plan_phase(0, clock)
    assert budget.plan_phase(0, clock, ran=0) == main  # the same pace: the same plan
    _run(fake_time, clock, main, pace=1.0, until=400)  # then twice as slow
    shorter = budget.plan_phase(0, clock, ran=400)
    assert 400 < shorter.max_itr < main.max_itr
    left = phase_work(shorter, 400) + phase_work(budget.recipe.phases[1])
    assert budget.pace > 0.5
    # the finish is planned at the measured pace too: training ends before the hard deadline
    assert left * budget.pace <= budget.end - FINISH_STEPS * budget.pace - fake_time.now < budget.deadline - fake_time.now
    assert budget.recipe.phases[1] == build_recipe("lean", shorter.max_itr, options.start_lr).phases[1]


def test_a_later_phase_is_planned_to_the_time_left_up_to_its_length_at_n_itr(fake_time: _FakeTime) -> None:
    options = EncoderOptions(n_itr=2000, recipe="lean")
    budget, clock = _budget_after_warmup(fake_time, options, n_itr=1000, seconds_left=500.0, pace=0.5)
    main = budget.plan_phase(0, clock)
    assert main.max_itr < 2000
    _run(fake_time, clock, main, pace=0.5)
    planned_ste = budget.recipe.phases[1]
    _leave(fake_time, budget, 1e5)  # the main phase left time over: the STE phase grows
    assert budget.plan_phase(1, clock) == build_recipe("lean", 2000, options.start_lr).phases[1]
    _leave(fake_time, budget, 10.0)  # 10 seconds left: the STE phase is shortened to fit
    ste = budget.plan_phase(1, clock)
    assert budget.recipe.phases[0] == main
    assert 1 < ste.max_itr < planned_ste.max_itr
    assert phase_work(ste) * budget.pace <= 10.0


def test_the_clock_follows_a_new_plan() -> None:
    clock = ProgressClock(100, None)
    clock.step(30)
    clock.replan(25)
    assert clock.planned == 125
    clock.replan(-200)
    assert clock.planned == 30  # never below what already ran


def test_the_time_limit_counts_from_the_start_it_is_given() -> None:
    started = time.perf_counter() - 100.0
    options = EncoderOptions(**TINY, n_itr=1_000_000, time_limit=101.0)
    budget = TimeBudget.start(Target(_image(), "cpu"), options, started)
    assert budget.end == pytest.approx(started + 101.0)
    assert budget.n_itr < 1_000_000  # about one second was left


def test_encode_counts_its_time_limit_from_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import coolchic
    from coolchic.training import encoder

    seen: list[tuple[float | None, float]] = []
    fit_ = encoder.fit

    def spy(*args, started=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((started, time.perf_counter()))
        return fit_(*args, started=started, **kwargs)

    monkeypatch.setattr(encoder, "fit", spy)
    before = time.perf_counter()
    coolchic.encode(np.zeros((24, 32, 3), np.uint8), **TINY, n_itr=2, time_limit=60.0)
    (started, fit_called), = seen
    assert started is not None and before <= started <= fit_called
