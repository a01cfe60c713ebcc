"""NN quantisation search at the end of phase 32 (spec §4.6).

For the ARM, then the upsampling, then the synthesis, every (q_w, q_b) pair of the
module's q-step list is tried: parameters are rounded to ``round_even(theta / q) * q``, the
module's rate is estimated with :func:`coolchic.training.rate.nn_bits`, and the pair with
the lowest ``D + lambda * (latent bits + module bits) / (H W)`` is kept (first wins ties).
The ``greedy`` mode (shorter recipes) searches the pairs by coordinate descent instead.
While the ARM is searched the distortion is constant; while the upsampling/synthesis are
searched the latent rate is constant, so each is computed once. The ARM is evaluated with
the exact integer (fixed-point) arithmetic of the decoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import torch
from torch import Tensor, nn

from coolchic.c3.frame import ARM_Q_STEPS, NN_Q_STEPS, QuantizedParams
from coolchic.model.arm import FixedPointArmTorch, coder_scale
from coolchic.model.context import all_contexts
from coolchic.model.reconstruct import decode_latents
from coolchic.training.evaluation import Evaluator
from coolchic.training.model import MIN_CODER_SCALE, CoolChicModel
from coolchic.training.rate import laplace_bits, nn_bits

MAX_SYMBOL = 65535
SearchMode = Literal["full", "greedy"]


@dataclass
class QuantizedModule:
    """Chosen q indices, the integer symbols and their estimated bits."""

    params: QuantizedParams
    bits: float


def _symbols(module: nn.Module, theta: dict[str, Tensor], kind: str, q: float) -> Tensor | None:
    """Flat ``round_even(theta / q)`` of the module's weights or biases; None if too large."""
    chunks = [torch.round(v / q).flatten() for k, v in theta.items() if k.endswith(kind)]
    if not chunks:
        return torch.zeros(0)
    symbols = torch.cat(chunks)
    if symbols.numel() and float(symbols.abs().max()) > MAX_SYMBOL:
        return None
    return symbols


@torch.no_grad()
def _load(module: nn.Module, theta: dict[str, Tensor], q_w: float, q_b: float | None) -> None:
    for name, param in module.named_parameters():
        q = q_w if name.endswith("weight") else q_b
        assert q is not None
        param.copy_(torch.round(theta[name] / q) * q)


def _search(
    module: nn.Module,
    q_steps: tuple[float, ...],
    cost: Callable[[float], float],
    has_bias: bool = True,
    mode: SearchMode = "full",
) -> QuantizedModule:
    """Best (q_w, q_b) pair: every pair (``full``, 3.0) or coordinate descent (``greedy``).

    ``greedy`` tries every q_w with q_b = q_w, then every q_b with the best q_w, then
    every q_w again with that q_b (about 3 x 17 instead of 17 x 17 evaluations).
    """
    theta = {k: v.detach().clone() for k, v in module.named_parameters()}
    n = len(q_steps)
    tried: dict[tuple[int, int | None], tuple[float, Tensor, Tensor | None, float] | None] = {}

    def evaluate(iw: int, ib: int | None) -> float:
        if (iw, ib) not in tried:
            tried[(iw, ib)] = _try(module, theta, q_steps, iw, ib, cost)
        entry = tried[(iw, ib)]
        return math.inf if entry is None else entry[0]

    if mode == "full":
        for iw in range(n):
            for ib in range(n) if has_bias else [None]:
                evaluate(iw, ib)
    else:
        iw_best = min(range(n), key=lambda i: evaluate(i, i if has_bias else None))
        if has_bias:
            ib_best = min(range(n), key=lambda i: evaluate(iw_best, i))
            min(range(n), key=lambda i: evaluate(i, ib_best))
    valid = [(key, entry) for key, entry in tried.items() if entry is not None]
    if not valid:
        raise ValueError("NN quantisation: every q-step gives a symbol above 65535")
    # lowest loss; ties go to the pair the exhaustive 3.0 loop meets first
    (iw, ib), (_, w_sym, b_sym, bits) = min(valid, key=lambda kv: (kv[1][0], kv[0][0], kv[0][1] or 0))
    _load(module, theta, q_steps[iw], None if ib is None else q_steps[ib])
    params = QuantizedParams(
        weight_symbols=w_sym.cpu().numpy().astype(np.int32),
        weight_q_index=iw,
        bias_symbols=None if b_sym is None else b_sym.cpu().numpy().astype(np.int32),
        bias_q_index=ib,
    )
    return QuantizedModule(params, bits)


def _try(
    module: nn.Module,
    theta: dict[str, Tensor],
    q_steps: tuple[float, ...],
    iw: int,
    ib: int | None,
    cost: Callable[[float], float],
) -> tuple[float, Tensor, Tensor | None, float] | None:
    """Loss, symbols and bits of one (q_w, q_b) pair; None if a symbol exceeds 65535."""
    w_sym = _symbols(module, theta, "weight", q_steps[iw])
    b_sym = None if ib is None else _symbols(module, theta, "bias", q_steps[ib])
    if w_sym is None or (ib is not None and b_sym is None):
        return None
    bits = nn_bits(w_sym) + (0.0 if b_sym is None else nn_bits(b_sym))
    _load(module, theta, q_steps[iw], None if ib is None else q_steps[ib])
    return cost(bits), w_sym, b_sym, bits


def latent_bits_fixed_arm(model: CoolChicModel, flat: Tensor, contexts: Tensor) -> float:
    """Latent bits with the (quantised) ARM in exact integer mode."""
    m, l = FixedPointArmTorch(model.arm)(contexts)
    scale = coder_scale(l).clamp_min(MIN_CODER_SCALE)
    return float(laplace_bits(flat, (m / 64).float(), scale).sum())


@torch.no_grad()
def quantize_networks(
    model: CoolChicModel, evaluate: Evaluator, mode: SearchMode = "full"
) -> dict[str, QuantizedModule]:
    """Quantise ARM, upsampling and synthesis in place; switch the model to the integer ARM."""
    ys = model.integer_latents()
    flat = torch.cat([y.reshape(-1) for y in ys])
    contexts = all_contexts(ys, model.arch.n_ctx_rowcol)
    target, lmbda, n_pixels = evaluate.target, evaluate.lmbda, evaluate.n_pixels

    def distortion(features: Tensor | None = None) -> float:
        out = model.synthesis(features) if features is not None else decode_latents(ys, model.upsampling, model.synthesis)
        return float(target.mse(target.postprocess(out)))

    mse = distortion()

    def arm_cost(bits: float) -> float:
        return mse + lmbda * (latent_bits_fixed_arm(model, flat, contexts) + bits) / n_pixels

    result = {"arm": _search(model.arm, ARM_Q_STEPS, arm_cost, mode=mode)}
    model.fixed_arm = FixedPointArmTorch(model.arm)
    latent_bits = latent_bits_fixed_arm(model, flat, contexts)

    def upsampling_cost(bits: float) -> float:
        return distortion() + lmbda * (latent_bits + bits) / n_pixels

    result["upsampling"] = _search(model.upsampling, NN_Q_STEPS, upsampling_cost, has_bias=False, mode=mode)
    features = model.upsampling(ys)

    def synthesis_cost(bits: float) -> float:
        return distortion(features) + lmbda * (latent_bits + bits) / n_pixels

    result["synthesis"] = _search(model.synthesis, NN_Q_STEPS, synthesis_cost, mode=mode)
    evaluate.nn_bits = sum(q.bits for q in result.values())
    return result
