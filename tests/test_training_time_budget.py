"""Time limits: the planned iterations, the deadline stop, and encodes that honour both."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training.encoder import ProgressEvent, fit
from coolchic.training.schedule import build_recipe
from coolchic.training.stopper import Stopper
from coolchic.training.target import Target
from coolchic.training.time_budget import OVERHEAD, affordable_n_itr, step_seconds

TINY = dict(seed=0, threads=1, layers_arm="8,8", layers_synthesis="8-1-linear-relu,X-1-linear-none",
            n_ft_per_res="1,1,1", recipe="lean")


def _image(height: int = 24, width: int = 32) -> Planes:
    rng = np.random.default_rng(0)
    return Planes("rgb", 8, tuple(rng.integers(0, 256, (height, width), dtype=np.uint8) for _ in range(3)))


def _seconds(options: EncoderOptions, n_itr: int, step_s: float) -> float:
    planned = build_recipe(options.recipe, n_itr, options.start_lr).planned_iterations()
    return planned * options.n_train_loops * step_s * OVERHEAD


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
