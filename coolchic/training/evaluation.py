"""Test passes (spec §4.5): hard rounding, bit-depth-rounded output, exact rates."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from coolchic.training.model import CoolChicModel
from coolchic.training.target import Target, psnr

RECORD_MIN_DELTA = 1e-3


@dataclass(frozen=True)
class TestResult:
    """Result of one evaluation pass. Rates in bits per pixel (luma/RGB pixel count)."""

    loss: float
    mse: float
    psnr_db: float
    latent_bpp: float
    nn_bpp: float

    @property
    def bpp(self) -> float:
        return self.latent_bpp + self.nn_bpp

    def is_record(self, best: TestResult | None) -> bool:
        """3.0 record criterion: lower loss and (rate not up by 1e-3 bpp or PSNR up by 1e-3 dB)."""
        if best is None:
            return True
        return self.loss < best.loss and (
            self.latent_bpp - best.latent_bpp < RECORD_MIN_DELTA or self.psnr_db - best.psnr_db > RECORD_MIN_DELTA
        )


class Evaluator:
    """Computes :class:`TestResult` for a model against a target with a given lambda."""

    def __init__(self, target: Target, lmbda: float) -> None:
        self.target = target
        self.lmbda = lmbda
        self.n_pixels = target.height * target.width
        self.nn_bits = 0.0
        """Bits of the quantised networks (0 until the NN quantisation search has run)."""

    def combine(self, mse: float, latent_bits: float, nn_bits: float) -> TestResult:
        latent_bpp, nn_bpp = latent_bits / self.n_pixels, nn_bits / self.n_pixels
        loss = mse + self.lmbda * (latent_bpp + nn_bpp)
        return TestResult(loss, mse, psnr(mse), latent_bpp, nn_bpp)

    @torch.no_grad()
    def __call__(self, model: CoolChicModel) -> TestResult:
        fwd = model(torch.round)
        mse = float(self.target.mse(self.target.postprocess(fwd.out)))
        return self.combine(mse, float(fwd.latent_bits), self.nn_bits)
