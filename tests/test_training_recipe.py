"""Recipes, the SOAP optimiser, the greedy NN-quantisation search, stopping and progress/ETA."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from coolchic.options import RECIPES, EncoderOptions
from coolchic.planes import Planes
from coolchic.training import schedule
from coolchic.training.encoder import ProgressEvent, fit, fit_recipe
from coolchic.training.model import CoolChicModel
from coolchic.training.nn_quant import _search
from coolchic.training.optim import make_optimizer, network_parameters, trained_latents
from coolchic.training.soap import SOAP

TINY = dict(n_itr=30, seed=0, threads=1, layers_arm="8,8", layers_synthesis="8-1-linear-relu,X-1-linear-none",
            n_ft_per_res="1,1,1", recipe="lean")


def _image(height: int = 24, width: int = 32) -> Planes:
    yy, xx = np.mgrid[0:height, 0:width]
    planes = tuple(np.round(127 + 100 * np.sin(xx / 4 + p) * np.cos(yy / 5 - p)).astype(np.uint8) for p in (0, 1, 2))
    return Planes("rgb", 8, planes)


# ---------------------------------------------------------------------------- recipes
def test_every_option_recipe_is_built_and_plans_its_iterations() -> None:
    assert set(RECIPES) == set(schedule.RECIPES)
    for name in RECIPES:
        recipe = schedule.build_recipe(name, 1000, 1e-2)
        planned = sum(n * p.max_itr for n, p in recipe.warmup) + sum(p.max_itr for p in recipe.phases)
        assert recipe.planned_iterations() == planned
        assert sum(p.quantize_model for p in recipe.phases) == 1
        quantized_at = [p.quantize_model for p in recipe.phases].index(True)
        assert all(p.latents_only for p in recipe.phases[quantized_at + 1:])  # networks stay quantised
    with pytest.raises(ValueError, match="recipe"):
        schedule.build_recipe("nope", 10, 1e-2)


def test_c3_recipe_is_the_3_0_schedule_at_10000_iterations() -> None:
    recipe = schedule.c3_recipe(10_000, 1e-2)
    assert [(n, p.max_itr) for n, p in recipe.warmup] == [(5, 400), (2, 400)]
    assert len(recipe.phases) == 34 and recipe.phases[0].max_itr == 10_000
    assert recipe.phases[32].quantize_model and recipe.phases[32].lr == pytest.approx(1e-4 * 0.8**31)
    assert recipe.nn_search == "full"


def test_lean_recipe_scales_with_n_itr() -> None:
    small, big = schedule.lean_recipe(100, 1e-2), schedule.lean_recipe(10_000, 1e-2)
    assert big.planned_iterations() == pytest.approx(100 * small.planned_iterations(), rel=0.05)
    assert big.phases[0].max_itr == 10_000 and big.nn_search == "greedy"
    assert schedule.lean_recipe(100, 1e-2, candidates=1).warmup == ()


def test_lean_recipe_keeps_the_kumaraswamy_noise_at_a_2_unless_asked() -> None:
    recipe = schedule.lean_recipe(1000, 1e-2)
    noise_phases = [p for _, p in recipe.warmup] + [p for p in recipe.phases if p.proxy == "noise"]
    assert [p.kumaraswamy for p in noise_phases] == [(2.0, 2.0)] * 2
    assert schedule.lean_recipe(1000, 1e-2, kumaraswamy=(2.0, 1.0)).phases[0].kumaraswamy == (2.0, 1.0)


def test_lean_recipe_anneals_the_soft_round_temperature_from_0_4_unless_asked() -> None:
    recipe = schedule.lean_recipe(1000, 1e-2)
    assert [p.temperature for _, p in recipe.warmup] == [(0.4, 0.4)]
    assert recipe.phases[0].temperature == (0.4, 0.1)
    assert schedule.lean_recipe(1000, 1e-2, temperature=(0.3, 0.1)).phases[0].temperature == (0.3, 0.1)


def test_lean_recipe_has_a_latent_only_phase_only_when_asked() -> None:
    assert [p.name for p in schedule.lean_recipe(1000, 1e-2).phases] == ["phase0", "ste"]
    last = schedule.lean_recipe(1000, 1e-2, latents_frac=0.03).phases[-1]
    assert (last.name, last.latents_only, last.max_itr, last.proxy) == ("latents", True, 30, "ste")


@pytest.mark.parametrize("optimizer", ["soap", "adam"])
def test_latent_betas_reach_the_latents_adam_and_not_the_networks(optimizer: str) -> None:
    model = CoolChicModel(EncoderOptions.from_kwargs(**TINY).architecture(3), 16, 24, torch.Generator().manual_seed(0))
    for betas in (schedule.ADAM_BETAS, (0.9, 0.99)):
        recipe = schedule.lean_recipe(100, 1e-2, optimizer=optimizer, latent_betas=betas)  # type: ignore[arg-type]
        latents, networks = make_optimizer(model, recipe.phases[0]).param_groups
        assert latents["params"] == trained_latents(model) and latents["betas"] == betas
        assert networks["params"] == network_parameters(model) and networks["betas"] != (0.9, 0.99)


# ---------------------------------------------------------------------------- SOAP
def test_soap_without_preconditioning_is_adam() -> None:
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(5, 4))
    b = torch.nn.Parameter(a.detach().clone())
    soap = SOAP([a], lr=1e-2, betas=(0.9, 0.999), precondition=False)
    adam = torch.optim.Adam([b], lr=1e-2, betas=(0.9, 0.999))
    target = torch.randn(5, 4)
    for _ in range(20):
        for p, opt in ((a, soap), (b, adam)):
            opt.zero_grad()
            ((p - target) ** 3).abs().sum().backward()
            opt.step()
    torch.testing.assert_close(a, b)


def test_soap_fits_an_ill_conditioned_least_squares_problem() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 8) * torch.logspace(0, 2, 8)
    w_true = torch.randn(8, 3)
    y = x @ w_true
    w = torch.nn.Parameter(torch.zeros(8, 3))
    opt = SOAP([w], lr=3e-2, precondition_frequency=5)
    first = None
    for _ in range(300):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 1e-3 * first


# ---------------------------------------------------------------------------- NN-quant search
def test_greedy_search_finds_a_separable_minimum_with_few_evaluations() -> None:
    torch.manual_seed(0)
    module = torch.nn.Linear(16, 8)
    w0, b0 = module.weight.detach().clone(), module.bias.detach().clone()
    steps = tuple(2.0 ** (i - 12) for i in range(13))
    calls = [0]

    def cost(bits: float) -> float:  # distortion of weights + of biases + rate: separable
        calls[0] += 1
        err = ((module.weight.detach() - w0) ** 2).sum() + ((module.bias.detach() - b0) ** 2).sum()
        return float(err) + 1e-4 * bits

    full = _search(module, steps, cost, mode="full")
    n_full, calls[0] = calls[0], 0
    greedy = _search(module, steps, cost, mode="greedy")
    assert calls[0] <= 3 * len(steps) < n_full
    assert (greedy.params.weight_q_index, greedy.params.bias_q_index) == (
        full.params.weight_q_index, full.params.bias_q_index)
    assert 0 < full.params.weight_q_index < len(steps) - 1  # an interior optimum, not a tie
    np.testing.assert_array_equal(greedy.params.weight_symbols, full.params.weight_symbols)


# ---------------------------------------------------------------------------- stopping, progress
def test_progress_reports_overall_count_and_eta() -> None:
    events: list[ProgressEvent] = []
    fit(_image(), EncoderOptions(**TINY), progress=events.append)
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] > 0
    assert all(e.done <= e.planned for e in events)
    assert all(e.eta_s is not None and e.eta_s >= 0 for e in events)
    assert events[-1].eta_s == pytest.approx(0.0, abs=1e-6)
    assert [e.elapsed_s for e in events] == sorted(e.elapsed_s for e in events)


def test_a_set_stop_event_still_returns_a_valid_frame() -> None:
    stop = threading.Event()
    stop.set()
    events: list[ProgressEvent] = []
    frame = fit(_image(), EncoderOptions(**TINY), progress=events.append, stop=stop)
    assert events == []  # no training iteration ran
    assert (frame.height, frame.width) == (24, 32)


def _stop_in_phase0(action):  # type: ignore[no-untyped-def]
    def progress(event: ProgressEvent) -> None:
        events.append(event)
        if event.phase == "phase0":
            action()

    events: list[ProgressEvent] = []
    return events, progress


def test_stop_during_training_skips_the_rest_and_quantises() -> None:
    stop = threading.Event()
    events, progress = _stop_in_phase0(stop.set)
    frame = fit(_image(), EncoderOptions(**TINY), progress=progress, stop=stop)
    assert [e.phase for e in events][-1] == "phase0" and sum(e.phase == "phase0" for e in events) == 1
    full = fit(_image(), EncoderOptions(**TINY))
    assert frame.arm.weight_q_index is not None and full.height == frame.height


def _interrupt() -> None:
    raise KeyboardInterrupt


def test_ctrl_c_finishes_only_when_asked() -> None:
    events, progress = _stop_in_phase0(_interrupt)
    frame = fit(_image(), EncoderOptions(**TINY, finish_on_interrupt=True), progress=progress)
    assert [e.phase for e in events][-1] == "phase0" and frame.width == 32
    _, progress = _stop_in_phase0(_interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit(_image(), EncoderOptions(**TINY), progress=progress)


def test_fit_recipe_runs_a_custom_recipe() -> None:
    recipe = schedule.lean_recipe(20, 1e-2, candidates=2, optimizer="soap", lr_networks=3e-3)
    events: list[ProgressEvent] = []
    frame = fit_recipe(_image(), EncoderOptions(**TINY), recipe, events.append)
    assert {e.phase for e in events} == {"warmup1", "phase0", "ste"}
    assert events[-1].planned == recipe.planned_iterations() and frame.height == 24
