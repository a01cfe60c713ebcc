"""The training fast paths match straightforward reference implementations (values and gradients)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coolchic.model.arm import Arm
from coolchic.model.context import all_contexts
from coolchic.model.synthesis import Synthesis
from coolchic.model.upsampling import Upsampling
from coolchic.options import parse_layers_synthesis
from coolchic.planes import Planes
from coolchic.training import arm_rate as arm_rate_module
from coolchic.training import dense_stack
from coolchic.training import pointwise
from coolchic.training.arm_rate import arm_rate
from coolchic.training.conv_tail import conv_tail, tail_supported
from coolchic.training.quantizers import kumaraswamy_noise, noise_quantize, soft_round
from coolchic.training.rate import laplace_bits
from coolchic.training.target import Target

GRID_SHAPES = [(2, 9, 11), (1, 5, 6), (0, 3, 3), (1, 1, 2)]


def _reference_rate(arm: Arm, ys: list[torch.Tensor]) -> torch.Tensor:
    mu, scale = arm(all_contexts(ys, 3))
    return laplace_bits(torch.cat([y.reshape(-1) for y in ys]), mu, scale).sum()


def _grads(fn, arm: Arm, ys0: list[torch.Tensor]) -> list[torch.Tensor]:  # type: ignore[no-untyped-def]
    ys = [y.clone().requires_grad_() for y in ys0]
    arm.zero_grad()
    bits = fn(arm, ys)
    (2.5 * bits).backward()
    return [bits.detach()] + [y.grad for y in ys if y.numel()] + [p.grad.clone() for p in arm.parameters()]


@pytest.mark.parametrize("hidden", [(24, 24), (), (8,)])
@pytest.mark.parametrize("slab", [7, 1 << 20])
def test_arm_rate_matches_reference(hidden: tuple[int, ...], slab: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arm_rate_module, "SLAB_POSITIONS", slab)
    torch.manual_seed(0)
    arm = Arm(24, hidden).double()
    with torch.no_grad():
        for p in arm.parameters():
            p.normal_(0.0, 0.3)
    # latents spread enough that some probabilities hit the 2^-16 floor, and scales clamp
    ys0 = [torch.round(3.0 * torch.randn(shape, dtype=torch.float64)) for shape in GRID_SHAPES]
    want = _grads(_reference_rate, arm, ys0)
    got = _grads(lambda a, ys: arm_rate(a, ys, 3), arm, ys0)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-9, atol=1e-9)


def test_arm_rate_without_grad_is_the_same_value() -> None:
    torch.manual_seed(1)
    arm = Arm(24, (24, 24))
    ys = [torch.round(2.0 * torch.randn(shape)) for shape in GRID_SHAPES]
    with torch.no_grad():
        value = arm_rate(arm, ys, 3)
    torch.testing.assert_close(value, _reference_rate(arm, ys).detach(), rtol=1e-5, atol=1e-3)


def _reference_upsample(ups: Upsampling, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Spec §3.3 as a transposed conv: replicate pad K/2, stride-2 conv_transpose2d, crop."""
    k = ups.kernel_size
    padded = F.pad(x.unsqueeze(1), (k // 2,) * 4, mode="replicate")
    up = F.conv_transpose2d(padded, ups.weight, stride=2)
    crop = (3 * k - 2) // 2
    return up[:, 0, crop : crop + height, crop : crop + width]


@pytest.mark.parametrize("kernel_size", [8, 10])
def test_polyphase_upsampling_gradients_match_transposed_conv(kernel_size: int) -> None:
    torch.manual_seed(2)
    ups = Upsampling(kernel_size).double()
    with torch.no_grad():
        ups.weight.add_(0.05 * torch.randn_like(ups.weight))
    x = torch.randn(2, 5, 7, dtype=torch.float64)
    grad_out = torch.randn(2, 9, 14, dtype=torch.float64)
    results = []
    for fn in (ups.upsample, lambda t, h, w: _reference_upsample(ups, t, h, w)):
        xr = x.clone().requires_grad_()
        out = fn(xr, 9, 14)
        results.append([out, *torch.autograd.grad(out, (xr, ups.weight), grad_out)])
    for got, want in zip(*results):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize(
    "layers",
    [
        "40-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none",
        "8-1-linear-none,8-1-residual-relu,X-3-linear-none",
        "8-1-linear-gelu,X-1-linear-none",
        "X-3-linear-relu,X-1-linear-none",
    ],
)
def test_fused_pointwise_synthesis_matches_the_module(layers: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "CHUNK_COLUMNS", 5)  # several chunks, the last one short
    torch.manual_seed(3)
    synthesis = Synthesis(7, parse_layers_synthesis(layers, 3)).double()
    with torch.no_grad():
        for p in synthesis.parameters():
            p.normal_(0.0, 0.3)
    x = torch.randn(7, 13, 17, dtype=torch.float64)
    results = []
    for fn in (synthesis, lambda t: pointwise.synthesis_forward(synthesis, t)):
        xr = x.clone().requires_grad_()
        out = fn(xr)
        grad_out = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
        results.append([out, *torch.autograd.grad(out, (xr, *synthesis.parameters()), grad_out)])
    for got, want in zip(*results):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(9, 14), (1, 1), (1, 6), (5, 1)])
def test_conv_tail_matches_the_module_at_image_borders(shape: tuple[int, int]) -> None:
    synthesis = Synthesis(3, parse_layers_synthesis("X-3-residual-relu,X-5-linear-none,X-1-residual-relu", 3)).double()
    torch.manual_seed(5)
    with torch.no_grad():
        for p in synthesis.parameters():
            p.normal_(0.0, 0.3)
    x = torch.randn(3, *shape, dtype=torch.float64)
    grad_out = torch.randn(x.shape, dtype=torch.float64)
    results = []
    for fn in (synthesis, lambda t: conv_tail(synthesis, 0, t)):
        xr = x.clone().requires_grad_()
        out = fn(xr)
        results.append([out, *torch.autograd.grad(out, (xr, *synthesis.parameters()), grad_out)])
    for got, want in zip(*results):
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_tail_supported_only_for_relu_or_linear_layers() -> None:
    synthesis = Synthesis(7, parse_layers_synthesis("8-1-linear-gelu,X-3-linear-relu,X-3-residual-none", 3))
    assert not tail_supported(synthesis, 0)
    assert tail_supported(synthesis, 1)


def test_fusable_layers_is_the_leading_run_of_pointwise_relu_or_linear_layers() -> None:
    def count(layers: str) -> int:
        return pointwise.fusable_layers(Synthesis(7, parse_layers_synthesis(layers, 3)))

    assert count("40-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none") == 2
    assert count("8-1-linear-none,8-1-residual-relu,X-3-linear-none") == 2
    assert count("8-1-linear-gelu,X-1-linear-none") == 0
    assert count("X-3-linear-relu,X-1-linear-none") == 0


@pytest.mark.parametrize("temperature", [0.3, 0.1, 1e-4])
def test_noise_quantize_matches_composed_soft_rounds(temperature: float) -> None:
    x = (torch.randn(3, 17, 23, dtype=torch.float64) * 4).requires_grad_()
    weights = torch.randn_like(x)
    reference = soft_round(
        soft_round(x, temperature) + kumaraswamy_noise(x, 2.0, torch.Generator().manual_seed(5)), temperature
    )
    fused = noise_quantize(x, temperature, 2.0, torch.Generator().manual_seed(5))
    assert torch.equal(fused, reference)
    (grad_reference,) = torch.autograd.grad((reference * weights).sum(), x)
    (grad_fused,) = torch.autograd.grad((fused * weights).sum(), x)
    torch.testing.assert_close(grad_fused, grad_reference, rtol=1e-9, atol=1e-9)


def test_noise_quantize_leaves_its_input_unchanged_and_works_without_grad() -> None:
    x = torch.randn(2, 5, 6) * 3
    before = x.clone()
    with torch.no_grad():
        out = noise_quantize(x, 0.3, 1.5, torch.Generator().manual_seed(0))
    assert torch.equal(x, before) and not out.requires_grad


@pytest.mark.parametrize("color", ["rgb", "gray", "yuv420"])
def test_clamped_mse_matches_mse_of_the_clamped_output(color: str) -> None:
    rng = np.random.default_rng(0)
    shapes = [(13, 17)] * (1 if color == "gray" else 3)
    if color == "yuv420":
        shapes = [(13, 17), (7, 9), (7, 9)]
    target = Target(Planes(color, 8, tuple(rng.integers(0, 256, s, dtype=np.uint8) for s in shapes)), "cpu")
    target.full = target.full.double()
    if target.chroma is not None:
        target.chroma = target.chroma.double()
    out = torch.rand(target.out_channels, 13, 17, dtype=torch.float64) * 1.4 - 0.2
    out[0, 0, :3] = torch.tensor([0.0, 1.0, 0.5])  # the clamp passes its bounds' gradient
    out.requires_grad_()
    reference = target.mse(out.clamp(0.0, 1.0))
    fused = target.clamped_mse(out)
    torch.testing.assert_close(fused, reference, rtol=1e-12, atol=0.0)
    (grad_reference,) = torch.autograd.grad(3.0 * reference, out)
    (grad_fused,) = torch.autograd.grad(3.0 * fused, out)
    torch.testing.assert_close(grad_fused, grad_reference, rtol=1e-12, atol=1e-15)
    assert grad_fused[0, 0, :3].ne(0).all()


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", [7, 64, 67])
def test_add_weight_grad_is_grad_times_input_transposed(threads: int, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense_stack, "MIN_SPLIT_COLUMNS", 2)
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        grad, x = torch.randn(5, n, dtype=torch.float64), torch.randn(4, n, dtype=torch.float64)
        acc = torch.randn(5, 4, dtype=torch.float64)
        expected = acc + grad @ x.t()
        dense_stack.add_weight_grad(acc, grad, x)
    finally:
        torch.set_num_threads(saved)
    torch.testing.assert_close(acc, expected, rtol=1e-12, atol=1e-12)
