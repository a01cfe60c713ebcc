"""The Cool-chic 3.0 encoder: overfit a model to one image and return its quantised Frame.

Recipe (spec §4): ``n_train_loops`` independent runs, each = warm-up (5 fresh candidates,
then the best 2 continue, then the best 1 is kept), phase 0 (noise proxy, cosine lr),
STE phases 1..32, NN quantisation search, zero-scale removal, latent-only phase. The run
with the lowest final test loss is returned. Phase lengths scale with ``options.n_itr``
(see :mod:`coolchic.training.schedule`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Architecture, Frame
from coolchic.model.arm import FixedPointArmTorch
from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training.allocator import reuse_freed_memory
from coolchic.training.evaluation import Evaluator, TestResult
from coolchic.training.loop import ProgressEvent, run_phase
from coolchic.training.model import CoolChicModel
from coolchic.training.nn_quant import QuantizedModule, quantize_networks
from coolchic.training.schedule import N_WARMUP_CANDIDATES, N_WARMUP_SURVIVORS, main_phases, warmup_phase
from coolchic.training.target import Target
from coolchic.training.zero_scale import remove_zero_scales

__all__ = ["ProgressEvent", "fit"]


@contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    previous = torch.get_num_threads()
    try:
        if threads is not None:
            torch.set_num_threads(threads)
        yield
    finally:
        torch.set_num_threads(previous)


def fit(
    target: Planes, options: EncoderOptions, progress: Callable[[ProgressEvent], None] | None = None
) -> Frame:
    """Overfit a Cool-chic model to ``target`` and return the quantised frame to write."""
    with _torch_threads(options.threads), reuse_freed_memory():
        tgt = Target(target, options.device)
        arch = options.architecture(tgt.out_channels)
        init_gen = torch.Generator()
        noise_gen = torch.Generator(device=options.device)
        if options.seed is None:
            init_gen.seed()
            noise_gen.seed()
        else:
            init_gen.manual_seed(options.seed)
            noise_gen.manual_seed(options.seed + 1)
        best: tuple[float, Frame] | None = None
        for _ in range(options.n_train_loops):
            frame, result = _train_once(tgt, arch, options, init_gen, noise_gen, progress)
            if best is None or result.loss < best[0]:
                best = (result.loss, frame)
        assert best is not None
        return best[1]


def _train_once(
    tgt: Target,
    arch: Architecture,
    options: EncoderOptions,
    init_gen: torch.Generator,
    noise_gen: torch.Generator,
    progress: Callable[[ProgressEvent], None] | None,
) -> tuple[Frame, TestResult]:
    evaluate = Evaluator(tgt, options.lmbda)
    model = _warm_up(tgt, arch, options, evaluate, init_gen, noise_gen, progress)
    quantized: dict[str, QuantizedModule] = {}
    for phase in main_phases(options.n_itr, options.start_lr):
        run_phase(model, phase, evaluate, noise_gen, progress)
        if phase.quantize_model:
            quantized = quantize_networks(model, evaluate)
            frame = remove_zero_scales(_to_frame(model, quantized, tgt))
            _set_arm_bias(model, frame)
    frame = remove_zero_scales(_to_frame(model, quantized, tgt))
    _set_arm_bias(model, frame)
    return frame, evaluate(model)


def _warm_up(
    tgt: Target,
    arch: Architecture,
    options: EncoderOptions,
    evaluate: Evaluator,
    init_gen: torch.Generator,
    noise_gen: torch.Generator,
    progress: Callable[[ProgressEvent], None] | None,
) -> CoolChicModel:
    """5 fresh candidates; the best 2 train once more; the best one is returned."""
    phase = warmup_phase(options.n_itr, options.start_lr)
    candidates = [
        CoolChicModel(arch, tgt.height, tgt.width, init_gen).to(options.device) for _ in range(N_WARMUP_CANDIDATES)
    ]
    for rnd, keep in ((1, N_WARMUP_SURVIVORS), (2, 1)):
        named = dataclasses.replace(phase, name=f"warmup{rnd}")
        losses = [run_phase(m, named, evaluate, noise_gen, progress).loss for m in candidates]
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
