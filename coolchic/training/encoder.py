"""The encoder: overfit a model to one image and return its quantised Frame.

Recipe (spec §4, :mod:`coolchic.training.schedule`): ``n_train_loops`` independent runs,
each = warm-up rounds (fresh candidates, the best survive each round, one is kept), the
recipe's phases (noise proxy, STE), NN quantisation search after the phase marked
``quantize_model``, zero-scale removal (only with ``options.avoid_zero_scales``), the
latent-only phase where the recipe has one. The run with the lowest final test loss is
returned. ``options.recipe`` picks the recipe, ``options.n_itr`` its length. With
``options.workdir`` every test point is also written to a TSV file there
(:mod:`coolchic.training.training_log`).

An encode can be stopped early (``stop`` event, Ctrl-C with ``options.finish_on_interrupt``,
or reaching ``options.time_limit``): training ends at once, the networks are quantised with
the quick search and the best model so far is returned. With a time limit the phases are
also planned, and re-planned as the encode goes, to end in time
(:mod:`coolchic.training.time_budget`).
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Architecture, Frame
from coolchic.model.arm import FixedPointArmTorch
from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.threads import torch_threads
from coolchic.training.allocator import reuse_freed_memory
from coolchic.training.evaluation import Evaluator, TestResult
from coolchic.training.model import CoolChicModel
from coolchic.training.nn_quant import QuantizedModule, SearchMode, quantize_networks
from coolchic.training.phase import run_phase
from coolchic.training.pretrained import load_networks, pretrained_state
from coolchic.training.progress import ProgressCallback, ProgressClock, ProgressEvent
from coolchic.training.schedule import Recipe, build_recipe
from coolchic.training.stopper import Stopper
from coolchic.training.target import Target
from coolchic.training.time_budget import TimeBudget
from coolchic.training.training_log import training_log
from coolchic.training.zero_scale import remove_zero_scales

__all__ = ["ProgressEvent", "fit", "fit_recipe"]


def fit(
    target: Planes,
    options: EncoderOptions,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    started: float | None = None,
) -> Frame:
    """Overfit a Cool-chic model to ``target`` and return the quantised frame to write.

    Setting ``stop`` (from another thread) ends training early and returns the best model
    so far, as does Ctrl-C when ``options.finish_on_interrupt`` is true, and reaching
    ``options.time_limit`` (which also plans the phases to fit, see :class:`TimeBudget`),
    counted from ``started`` (a :func:`time.perf_counter` value; default: now).
    """
    with torch_threads(options.threads), reuse_freed_memory():
        tgt = Target(target, options.device)
        if options.time_limit is None:
            return _fit_target(tgt, options, build_recipe(options.recipe, options.n_itr, options.start_lr),
                               progress, stop, None)
        budget = TimeBudget.start(tgt, options, started)
        return _fit_target(tgt, options, budget.recipe, progress, stop, budget)


def fit_recipe(
    target: Planes,
    options: EncoderOptions,
    recipe: Recipe,
    progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> Frame:
    """:func:`fit` with an explicit :class:`Recipe` (``options.recipe`` / ``n_itr`` /
    ``time_limit`` ignored)."""
    with torch_threads(options.threads), reuse_freed_memory():
        return _fit_target(Target(target, options.device), options, recipe, progress, stop, None)


def _fit_target(
    tgt: Target,
    options: EncoderOptions,
    recipe: Recipe,
    progress: ProgressCallback | None,
    stop: threading.Event | None,
    budget: TimeBudget | None,
) -> Frame:
    """The training loops of :func:`fit` (inside its thread and allocator settings); with a
    ``budget`` its plan replaces ``recipe`` and training stops at its deadline."""
    arch = options.architecture(tgt.out_channels)
    init_gen = torch.Generator()
    noise_gen = torch.Generator(device=options.device)
    if options.seed is None:
        init_gen.seed()
        noise_gen.seed()
    else:
        init_gen.manual_seed(options.seed)
        noise_gen.manual_seed(options.seed + 1)
    stopper = Stopper(stop, catch_interrupt=options.finish_on_interrupt,
                      deadline=None if budget is None else budget.deadline)
    best: tuple[float, Frame] | None = None
    with training_log(options.workdir, progress) as report:
        clock = ProgressClock(recipe.planned_iterations() * options.n_train_loops, report)
        for _ in range(options.n_train_loops):
            if best is not None and stopper.requested():
                break
            if budget is not None:
                recipe = budget.next_loop()
            frame, result = _train_once(tgt, arch, options, recipe, init_gen, noise_gen, clock, stopper, budget)
            if best is None or result.loss < best[0]:
                best = (result.loss, frame)
    assert best is not None
    return best[1]


def _train_once(
    tgt: Target,
    arch: Architecture,
    options: EncoderOptions,
    recipe: Recipe,
    init_gen: torch.Generator,
    noise_gen: torch.Generator,
    clock: ProgressClock,
    stopper: Stopper,
    budget: TimeBudget | None,
) -> tuple[Frame, TestResult]:
    evaluate = Evaluator(tgt, options.lmbda)
    model = _warm_up(tgt, arch, options, recipe, evaluate, init_gen, noise_gen, clock, stopper)
    quantized: dict[str, QuantizedModule] = {}
    for index in range(len(recipe.phases)):
        phase = recipe.phases[index] if budget is None else budget.plan_phase(index, clock)
        if stopper.requested():
            clock.skip(phase.max_itr)
            continue
        length = None if budget is None else budget.phase_length(index, clock)
        run_phase(model, phase, evaluate, noise_gen, clock, stopper, length)
        if phase.quantize_model and not stopper.requested():
            quantized = _quantize(model, evaluate, tgt, recipe.nn_search, options.avoid_zero_scales)
    if not quantized:
        search = "greedy" if stopper.requested() else recipe.nn_search
        quantized = _quantize(model, evaluate, tgt, search, options.avoid_zero_scales)
    frame = _to_frame(model, quantized, tgt)
    if options.avoid_zero_scales:
        frame = remove_zero_scales(frame)
        _set_arm_bias(model, frame)
    return frame, evaluate(model)


def _quantize(
    model: CoolChicModel, evaluate: Evaluator, tgt: Target, mode: SearchMode, avoid_zero_scales: bool
) -> dict[str, QuantizedModule]:
    """NN quantisation (spec §4.6), then, if asked, the ARM bias that avoids zero scales."""
    quantized = quantize_networks(model, evaluate, mode)
    if avoid_zero_scales:
        _set_arm_bias(model, remove_zero_scales(_to_frame(model, quantized, tgt)))
    return quantized


def _warm_up(
    tgt: Target,
    arch: Architecture,
    options: EncoderOptions,
    recipe: Recipe,
    evaluate: Evaluator,
    init_gen: torch.Generator,
    noise_gen: torch.Generator,
    clock: ProgressClock,
    stopper: Stopper,
) -> CoolChicModel:
    """Each round trains its candidates; the best ones enter the next round; the best is kept.

    The first candidate starts from pretrained networks when the recipe and options ask for
    them and the architecture has some; with ``recipe.pretrained_backup_lr`` so does the last,
    its networks warmed up at that rate. Every candidate is drawn first, so the random ones
    and the noise draws are the same either way.
    """
    count = recipe.warmup[0][0] if recipe.warmup else 1
    candidates = [CoolChicModel(arch, tgt.height, tgt.width, init_gen) for _ in range(count)]
    state = pretrained_state(arch) if recipe.pretrained and options.pretrained else None
    backup = None
    if state is not None:
        load_networks(candidates[0], state)
        if recipe.pretrained_backup_lr is not None and count > 1:  # the recipe chooses when; never the first
            backup = candidates[-1]
            load_networks(backup, state)
    candidates = [model.to(options.device) for model in candidates]
    if not recipe.warmup:
        return candidates[0]
    keeps = [n for n, _ in recipe.warmup[1:]] + [1]
    for (_, phase), keep in zip(recipe.warmup, keeps):
        backup_phase = replace(phase, lr_networks=recipe.pretrained_backup_lr)
        losses = []
        for model in candidates:
            if stopper.requested():
                clock.skip(phase.max_itr)
                losses.append(evaluate(model).loss)
            else:
                this_phase = backup_phase if model is backup else phase
                losses.append(run_phase(model, this_phase, evaluate, noise_gen, clock, stopper).loss)
        order = sorted(range(len(candidates)), key=lambda i: losses[i])
        candidates = [candidates[i] for i in order[:keep]]
    return candidates[0]


def _to_frame(model: CoolChicModel, quantized: dict[str, QuantizedModule], tgt: Target) -> Frame:
    latents = [y.cpu().numpy().astype(np.int32) for y in model.integer_latents()]
    return Frame(
        height=tgt.height,
        width=tgt.width,
        frame_type="yuv420" if tgt.color == "yuv420" else "rgb",
        bitdepth=tgt.bitdepth,
        architecture=model.arch,
        arm=quantized["arm"].params,
        upsampling=quantized["upsampling"].params,
        synthesis=quantized["synthesis"].params,
        latents=latents,
    )


@torch.no_grad()
def _set_arm_bias(model: CoolChicModel, frame: Frame) -> None:
    """Make the model's ARM output bias match the frame's (after zero-scale removal)."""
    arm = frame.arm
    assert arm.bias_symbols is not None and arm.bias_q_index is not None
    q_b = ARM_Q_STEPS[arm.bias_q_index]
    out_bias = model.arm.mlp[-1].bias
    out_bias.copy_(torch.from_numpy(arm.bias_symbols[-2:].astype(np.float32) * np.float32(q_b)))
    model.fixed_arm = FixedPointArmTorch(model.arm)
