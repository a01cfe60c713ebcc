"""The image to fit as float tensors, and the distortion of spec §2.3."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from coolchic.errors import UnsupportedError
from coolchic.planes import Planes


MAX_SIDE = 65535
"""Largest height / width of the 3.0 format (2-byte header fields)."""


class Target:
    """Normalised planes of a :class:`Planes` and the matching (sample-weighted) MSE."""

    def __init__(self, planes: Planes, device: str) -> None:
        if planes.color not in ("rgb", "gray", "yuv420"):
            raise UnsupportedError(f"unsupported colour format {planes.color!r}")
        if planes.bitdepth not in (8, 10):
            raise UnsupportedError(f"unsupported bit depth {planes.bitdepth} (8 or 10)")
        if not (1 <= planes.height <= MAX_SIDE and 1 <= planes.width <= MAX_SIDE):
            raise UnsupportedError(f"image size {planes.width}x{planes.height}: each side must be in 1..{MAX_SIDE}")
        self.color = planes.color
        self.bitdepth = planes.bitdepth
        self.height, self.width = planes.height, planes.width
        self.max_value = float(planes.max_value)

        def norm(arrays: tuple[np.ndarray, ...]) -> Tensor:
            stacked = np.stack([np.asarray(a, dtype=np.float32) for a in arrays])
            return (torch.from_numpy(stacked) / self.max_value).to(device)

        if self.color == "yuv420":
            self.full = norm(planes.planes[:1])
            self.chroma = norm(planes.planes[1:3])
            self.out_channels = 3
        else:
            self.full = norm(planes.planes)
            self.chroma = None
            self.out_channels = self.full.shape[0]
        n_chroma = 0 if self.chroma is None else self.chroma.numel()
        self.n_samples = self.full.numel() + n_chroma

    def mse(self, out: Tensor) -> Tensor:
        """Sample-count-weighted MSE of a full-resolution output ``[C, H, W]``."""
        if self.chroma is None:
            return torch.mean((out - self.full) ** 2)
        err = torch.sum((out[:1] - self.full) ** 2)
        hc, wc = self.chroma.shape[-2:]
        err = err + torch.sum((out[1:3, ::2, ::2][:, :hc, :wc] - self.chroma) ** 2)
        return err / self.n_samples

    def clamped_mse(self, out: Tensor) -> Tensor:
        """``mse(out.clamp(0, 1))``, the training distortion; for RGB and gray one autograd
        function whose backward is a single product (training speed)."""
        if self.chroma is not None:
            return self.mse(out.clamp(0.0, 1.0))
        return _ClampedMse.apply(out, self.full)

    def postprocess(self, out: Tensor) -> Tensor:
        """Decoder output of spec §3.5: bit-depth rounding then clamp to [0, 1]."""
        return (torch.round(out * self.max_value) / self.max_value).clamp(0.0, 1.0)


class _ClampedMse(torch.autograd.Function):
    """``mean((clamp(out, 0, 1) - target)^2)``; d/d(out) = ``2 (clamp(out) - target) / n``
    where ``0 <= out <= 1`` (where the clamp passes its input), else 0."""

    @staticmethod
    def forward(ctx, out: Tensor, target: Tensor) -> Tensor:  # type: ignore[override]
        clamped = out.detach().clamp(0.0, 1.0)
        passed = clamped == out
        diff = clamped.sub_(target)
        flat = diff.reshape(-1)
        loss = torch.dot(flat, flat) / flat.numel()
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(diff.mul_(passed).mul_(2.0 / flat.numel()))
        return loss

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (slope,) = ctx.saved_tensors
        return slope * grad, None


def psnr(mse: float) -> float:
    """``-10 log10(mse)`` (peak 1), +inf for a perfect match."""
    return math.inf if mse <= 0 else -10.0 * math.log10(mse)
