"""One training phase (spec §4.3): Adam, grad clipping, tests, records, patience."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from coolchic.training.evaluation import Evaluator, TestResult
from coolchic.training.model import CoolChicModel, Quantizer
from coolchic.training.quantizers import noise_quantize, ste_quantize
from coolchic.training.schedule import Phase

GRAD_CLIP = 0.1


@dataclass(frozen=True)
class ProgressEvent:
    """Reported at every test point of every phase."""

    phase: str
    iteration: int
    total_iterations: int
    loss: float
    bpp: float
    psnr_db: float | None


ProgressCallback = Callable[[ProgressEvent], None]


def _anneal(bounds: tuple[float, float], cnt: int, max_itr: int) -> float:
    start, end = bounds
    return start + cnt * (end - start) / max_itr


def train_step(
    model: CoolChicModel,
    quantize: Quantizer,
    evaluate: Evaluator,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
) -> None:
    """One iteration: forward with the proxy, ``MSE + lambda * bpp``, backward, clip, Adam step."""
    fwd = model(quantize)
    out = fwd.out.clamp(0.0, 1.0)
    loss = evaluate.target.mse(out) + evaluate.lmbda * fwd.latent_bits / evaluate.n_pixels
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP, foreach=True)
    optimizer.step()


def run_phase(
    model: CoolChicModel,
    phase: Phase,
    evaluate: Evaluator,
    generator: torch.Generator,
    progress: ProgressCallback | None = None,
) -> TestResult:
    """Train ``model`` for one phase, leave it at the phase's best test and return that test.

    The phase starts with its entry state as the record to beat (the 3.0 code starts from
    an infinite loss), so a phase never makes the model worse on the test criterion.
    """
    params = list(model.latents.parameters()) if phase.latents_only else list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=phase.lr, foreach=True)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, phase.max_itr // phase.freq_valid))
        if phase.scheduler
        else None
    )
    best = evaluate(model)
    best_state = model.snapshot()
    last_record = 0
    temperature, kumaraswamy = phase.temperature[0], phase.kumaraswamy[0]
    for cnt in range(phase.max_itr):
        if phase.proxy == "ste":
            train_step(model, lambda x: ste_quantize(x, temperature), evaluate, optimizer, params)
        else:
            train_step(model, lambda x: noise_quantize(x, temperature, kumaraswamy, generator), evaluate, optimizer, params)

        if (cnt + 1) % phase.freq_valid and cnt + 1 < phase.max_itr:
            continue
        result = evaluate(model)
        if result.is_record(best):
            best, best_state, last_record = result, model.snapshot(), cnt
        if progress is not None:
            progress(ProgressEvent(phase.name, cnt + 1, phase.max_itr, result.loss, result.bpp, result.psnr_db))
        temperature = _anneal(phase.temperature, cnt, phase.max_itr)
        kumaraswamy = _anneal(phase.kumaraswamy, cnt, phase.max_itr)
        if scheduler is not None:
            scheduler.step()
        if cnt - last_record > phase.patience:
            if scheduler is None:
                break
            model.restore(best_state)
            last_record = cnt
    model.restore(best_state)
    return best
