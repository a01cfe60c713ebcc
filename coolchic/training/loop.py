"""The training step (spec §4.3): forward with a proxy, loss, backward, grad clipping, step.

Phases (tests, records, patience) live in :mod:`coolchic.training.phase`.
"""

from __future__ import annotations

import torch

from coolchic.training.evaluation import Evaluator
from coolchic.training.model import CoolChicModel, Quantizer
from coolchic.training.progress import ProgressCallback, ProgressEvent

__all__ = ["GRAD_CLIP", "ProgressCallback", "ProgressEvent", "train_step"]

GRAD_CLIP = 0.1


def train_step(
    model: CoolChicModel,
    quantize: Quantizer,
    evaluate: Evaluator,
    optimizer: torch.optim.Optimizer,
    params: list[torch.nn.Parameter],
) -> None:
    """One iteration: forward with the proxy, ``MSE + lambda * bpp``, backward, clip, Adam step."""
    fwd = model(quantize)
    loss = evaluate.target.clamped_mse(fwd.out) + evaluate.lmbda * fwd.latent_bits / evaluate.n_pixels
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, GRAD_CLIP, foreach=True)
    optimizer.step()

