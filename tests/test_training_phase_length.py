"""A phase whose length changes while it runs (a time budget's re-plan)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training import phase as phase_module
from coolchic.training.evaluation import Evaluator
from coolchic.training.model import CoolChicModel
from coolchic.training.progress import ProgressClock, ProgressEvent
from coolchic.training.schedule import build_recipe
from coolchic.training.target import Target

from integration_helpers import TINY


def _run(monkeypatch: pytest.MonkeyPatch, new_length: int | None) -> tuple[list[float], list[ProgressEvent]]:
    """Learning rates of every step and the reported events of a 60-iteration main phase
    whose length becomes ``new_length`` at its first test point (None: no hook)."""
    rng = np.random.default_rng(0)
    planes = Planes("rgb", 8, tuple(rng.integers(0, 256, (16, 24), dtype=np.uint8) for _ in range(3)))
    options = EncoderOptions(**TINY)
    model = CoolChicModel(options.architecture(3), 16, 24, torch.Generator().manual_seed(0))
    phase = build_recipe("lean", 60, 1e-2).phases[0]
    assert phase.scheduler and phase.freq_valid == 3
    lrs: list[float] = []
    train_step = phase_module.train_step

    def spy(model, quantize, evaluate, optimizer, params):  # type: ignore[no-untyped-def]
        lrs.append(optimizer.param_groups[0]["lr"])
        train_step(model, quantize, evaluate, optimizer, params)

    monkeypatch.setattr(phase_module, "train_step", spy)
    events: list[ProgressEvent] = []
    length = None if new_length is None else (lambda ran: new_length)
    phase_module.run_phase(model, phase, Evaluator(Target(planes, "cpu"), 1e-3), torch.Generator().manual_seed(1),
                           ProgressClock(60, events.append), length=length)
    return lrs, events


@pytest.mark.parametrize("new_length", [30, 90])
def test_a_new_length_runs_the_cosine_learning_rate_to_the_new_end(monkeypatch: pytest.MonkeyPatch,
                                                                   new_length: int) -> None:
    lrs, events = _run(monkeypatch, new_length)
    assert len(lrs) == new_length
    assert [e.total_iterations for e in events] == [new_length] * len(events)
    assert events[-1].iteration == new_length
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))  # no jump when the length changed
    assert lrs[0] == pytest.approx(1e-2) and lrs[-1] < 0.05 * lrs[0]
    assert lrs[new_length // 2] == pytest.approx(0.5e-2, rel=0.15)  # half-way down at half-way


def test_a_length_that_is_already_reached_ends_the_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    lrs, events = _run(monkeypatch, 2)
    assert len(lrs) == 3 and events[-1].iteration == 3 and events[-1].total_iterations == 3
    plain, _ = _run(monkeypatch, None)
    assert len(plain) == 60
