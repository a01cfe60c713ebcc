"""NN quantisation search at the end of phase 32 (spec §4.6).

For the ARM, then the upsampling, then the synthesis, every (q_w, q_b) pair of the
module's q-step list is tried: parameters are rounded to ``round_even(theta / q) * q``, the
module's rate is estimated with :func:`coolchic.training.rate.nn_bits`, and the pair with
the lowest ``D + lambda * (latent bits + module bits) / (H W)`` is kept (first wins ties).
While the ARM is searched the distortion is constant; while the upsampling/synthesis are
searched the latent rate is constant, so each is computed once. The ARM is evaluated with
the exact integer (fixed-point) arithmetic of the decoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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
    module: nn.Module, q_steps: tuple[float, ...], cost: Callable[[float], float], has_bias: bool = True
) -> QuantizedModule:
    theta = {k: v.detach().clone() for k, v in module.named_parameters()}
    best: tuple[float, int, int | None, Tensor, Tensor | None, float] | None = None
    bias_indices: list[int | None] = list(range(len(q_steps))) if has_bias else [None]
    for iw, q_w in enumerate(q_steps):
        w_sym = _symbols(module, theta, "weight", q_w)
        if w_sym is None:
            continue
        for ib in bias_indices:
            q_b = None if ib is None else q_steps[ib]
            b_sym = None if q_b is None else _symbols(module, theta, "bias", q_b)
            if q_b is not None and b_sym is None:
                continue
            bits = nn_bits(w_sym) + (0.0 if b_sym is None else nn_bits(b_sym))
            _load(module, theta, q_w, q_b)
            loss = cost(bits)
            if best is None or loss < best[0]:
                best = (loss, iw, ib, w_sym, b_sym, bits)
    if best is None:
        raise ValueError("NN quantisation: every q-step gives a symbol above 65535")
    _, iw, ib, w_sym, b_sym, bits = best
    _load(module, theta, q_steps[iw], None if ib is None else q_steps[ib])
    params = QuantizedParams(
        weight_symbols=w_sym.cpu().numpy().astype(np.int32),
        weight_q_index=iw,
        bias_symbols=None if b_sym is None else b_sym.cpu().numpy().astype(np.int32),
        bias_q_index=ib,
    )
    return QuantizedModule(params, bits)


def latent_bits_fixed_arm(model: CoolChicModel, flat: Tensor, contexts: Tensor) -> float:
    """Latent bits with the (quantised) ARM in exact integer mode."""
    m, l = FixedPointArmTorch(model.arm)(contexts)
    scale = coder_scale(l).clamp_min(MIN_CODER_SCALE)
    return float(laplace_bits(flat, (m / 64).float(), scale).sum())


@torch.no_grad()
def quantize_networks(model: CoolChicModel, evaluate: Evaluator) -> dict[str, QuantizedModule]:
    """Quantise ARM, upsampling and synthesis in place; switch the model to the integer ARM."""
    ys = model.integer_latents()
    flat = torch.cat([y.reshape(-1) for y in ys])
    contexts = all_contexts(ys, model.arch.n_ctx_rowcol)
    target, lmbda, n_pixels = evaluate.target, evaluate.lmbda, evaluate.n_pixels

    def distortion() -> float:
        return float(target.mse(target.postprocess(decode_latents(ys, model.upsampling, model.synthesis))))

    mse = distortion()

    def arm_cost(bits: float) -> float:
        return mse + lmbda * (latent_bits_fixed_arm(model, flat, contexts) + bits) / n_pixels

    result = {"arm": _search(model.arm, ARM_Q_STEPS, arm_cost)}
    model.fixed_arm = FixedPointArmTorch(model.arm)
    latent_bits = latent_bits_fixed_arm(model, flat, contexts)

    def decoder_cost(bits: float) -> float:
        return distortion() + lmbda * (latent_bits + bits) / n_pixels

    result["upsampling"] = _search(model.upsampling, NN_Q_STEPS, decoder_cost, has_bias=False)
    result["synthesis"] = _search(model.synthesis, NN_Q_STEPS, decoder_cost)
    evaluate.nn_bits = sum(q.bits for q in result.values())
    return result
