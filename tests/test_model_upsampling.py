"""Upsampling geometry (spec §3.3), including odd sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from coolchic.c3.frame import latent_sizes
from coolchic.model.upsampling import Upsampling, bicubic_kernel


def _reference_upsample(x: np.ndarray, kernel: np.ndarray, height: int, width: int) -> np.ndarray:
    """Spec §3.3 literally: replicate pad K/2, z[u,v] = sum x[p,q] k[u-2p, v-2q], crop."""
    k = kernel.shape[0]
    xp = np.pad(x, k // 2, mode="edge")
    h, w = xp.shape
    z = np.zeros((2 * (h - 1) + k, 2 * (w - 1) + k))
    for p in range(h):
        for q in range(w):
            z[2 * p : 2 * p + k, 2 * q : 2 * q + k] += xp[p, q] * kernel
    c = (3 * k - 2) // 2
    return z[c : c + height, c : c + width]


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (5, 3), (4, 6)])
@pytest.mark.parametrize("target_extra", [0, 1])
@pytest.mark.parametrize("kernel_size", [8, 10, 12])
def test_single_step_matches_spec(size: tuple[int, int], target_extra: int, kernel_size: int) -> None:
    torch.manual_seed(0)
    ups = Upsampling(kernel_size)
    with torch.no_grad():
        ups.weight.add_(0.01 * torch.randn_like(ups.weight))
    x = torch.randn(2, *size)
    height, width = 2 * size[0] - target_extra, 2 * size[1] - target_extra
    got = ups.upsample(x, height, width).detach().double().numpy()
    kernel = ups.weight[0, 0].double().detach().numpy()
    for ch in range(2):
        want = _reference_upsample(x[ch].double().numpy(), kernel, height, width)
        np.testing.assert_allclose(got[ch], want, rtol=1e-5, atol=1e-5)


def test_bicubic_kernel_interpolates_constants_and_pads() -> None:
    ups = Upsampling(8)
    out = ups.upsample(torch.full((1, 5, 7), 3.0), 9, 13)
    torch.testing.assert_close(out, torch.full((1, 9, 13), 3.0))
    k12 = bicubic_kernel(12)[0, 0]
    assert k12.shape == (12, 12) and torch.equal(k12[2:10, 2:10], bicubic_kernel(8)[0, 0])
    assert float(k12[:2].abs().sum()) == 0.0


@pytest.mark.parametrize(("height", "width"), [(1, 1), (7, 5), (33, 17), (48, 64)])
def test_cascade_geometry_and_channel_order(height: int, width: int) -> None:
    n_ft = (1, 0, 2, 1)
    sizes = latent_sizes(height, width, len(n_ft))
    latents = [torch.full((c, h, w), float(i + 1)) for i, (c, (h, w)) in enumerate(zip(n_ft, sizes))]
    out = Upsampling(8)(latents)
    assert out.shape == (sum(n_ft), height, width)
    # constant grids stay constant through the bicubic kernel: channel order is finest first
    expected = [1.0, 3.0, 3.0, 4.0]
    for ch, value in enumerate(expected):
        torch.testing.assert_close(out[ch], torch.full((height, width), value))
