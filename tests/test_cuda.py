"""The encoder and decoder on a CUDA GPU agree with the CPU (``make test-cuda``, GPU only).

Marked ``cuda``: ``make test`` deselects them; run on a GPU machine, they fail (never
skip) when no GPU is there. Training on a GPU runs each latent grid as one ARM slab and the
whole image as one synthesis chunk, where the CPU blocks both for its cache: the gradients
must not change beyond float rounding.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import coolchic
from coolchic.imageconv import rgb_to_yuv420
from coolchic.options import EncoderOptions
from coolchic.testcard import render_test_card
from coolchic.training import arm_rate as arm_rate_module
from coolchic.training import pointwise
from coolchic.training.model import LATENT_GAIN, CoolChicModel
from coolchic.training.soap import SOAP

pytestmark = pytest.mark.cuda

TINY = dict(n_itr=300, n_train_loops=1, seed=0, threads=1, layers_synthesis="8-1-linear-relu,X-1-linear-none",
            n_ft_per_res="1,1,1")


@pytest.fixture(scope="module")
def cuda() -> torch.device:
    assert torch.cuda.is_available(), "these tests need a CUDA GPU (run them with `make test-cuda` on one)"
    return torch.device("cuda")


def _model(height: int, width: int) -> CoolChicModel:
    generator = torch.Generator().manual_seed(0)
    model = CoolChicModel(EncoderOptions.from_kwargs().architecture(3), height, width, generator)
    with torch.no_grad():
        for latent in model.latents:
            latent.normal_(0.0, 0.3, generator=generator)
    return model


def _grads(model: CoolChicModel, loss: torch.Tensor) -> list[torch.Tensor]:
    model.zero_grad(set_to_none=True)
    loss.backward()
    return [p.grad.detach().cpu() if p.grad is not None else torch.zeros(p.shape) for p in model.parameters()]


def _assert_close(got: list[torch.Tensor], want: list[torch.Tensor]) -> None:
    for g, w in zip(got, want):
        assert torch.linalg.vector_norm(g - w) <= 1e-4 * torch.linalg.vector_norm(w) + 1e-6


def test_arm_rate_one_slab_on_gpu_matches_cpu_slabs(cuda: torch.device, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arm_rate_module, "SLAB_POSITIONS", 512)  # many slabs per grid on the CPU
    model = _model(96, 80)

    def loss(m: CoolChicModel) -> torch.Tensor:
        ys = [torch.round(LATENT_GAIN * p) + (LATENT_GAIN * p - (LATENT_GAIN * p).detach()) for p in m.latents]
        return arm_rate_module.arm_rate(m.arm, ys, m.arch.n_ctx_rowcol)

    cpu_bits = loss(model)
    want = _grads(model, cpu_bits)
    gpu_model = model.to(cuda)
    gpu_bits = loss(gpu_model)
    assert abs(gpu_bits.item() - cpu_bits.item()) <= 1e-4 * cpu_bits.item()
    _assert_close(_grads(gpu_model, gpu_bits), want)


def test_fused_synthesis_one_chunk_on_gpu_matches_cpu_chunks(cuda: torch.device,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pointwise, "CHUNK_COLUMNS", 1000)
    model = _model(96, 80)

    def loss(m: CoolChicModel) -> torch.Tensor:
        out = pointwise.synthesis_forward(m.synthesis, m.upsampling(list(m.latents)))
        return (out * torch.linspace(-1.0, 1.0, out.numel(), device=out.device).view_as(out)).sum()

    want = _grads(model, loss(model))
    gpu_model = model.to(cuda)
    _assert_close(_grads(gpu_model, loss(gpu_model)), want)


def test_soap_fits_on_gpu_as_on_cpu(cuda: torch.device) -> None:
    # Trajectories are not compared: Adam in an eigenbasis amplifies float rounding (the
    # eigh runs on the CPU either way, the matmuls do not), so the runs drift apart.
    generator = torch.Generator().manual_seed(3)
    inputs, weight = torch.randn(24, 256, generator=generator), torch.randn(12, 24, generator=generator)
    losses = []
    for device in ("cpu", cuda):
        x, y = inputs.to(device), (weight @ inputs).to(device)
        param = torch.nn.Parameter(torch.zeros(12, 24, device=device))
        optimizer = SOAP([param], lr=3e-2, precondition_frequency=5)
        for _ in range(150):
            optimizer.zero_grad()
            loss = ((param @ x - y) ** 2).mean()
            loss.backward()
            optimizer.step()
        assert param.device.type == torch.device(device).type
        losses.append(loss.item())
    start = (weight @ inputs).pow(2).mean().item()
    assert max(losses) < 1e-2 * start
    assert abs(losses[1] - losses[0]) <= 0.5 * losses[0] + 1e-6 * start


@pytest.mark.parametrize("color", ["rgb", "yuv420-10bit"])
def test_gpu_encode_decodes_alike_on_cpu_and_gpu(cuda: torch.device, color: str) -> None:
    card = render_test_card(40, 28)
    image = card if color == "rgb" else rgb_to_yuv420(card, 10)
    result = coolchic.encode(image, device="cuda", **TINY)
    on_cpu = coolchic.decode(result.data, device="cpu").planes
    on_gpu = coolchic.decode(result.data, device="cuda").planes
    for a, b in zip(on_cpu.planes, on_gpu.planes):  # one code value at most: float rounding
        assert np.abs(a.astype(np.int32) - b.astype(np.int32)).max() <= 1
    assert result.psnr_db > 18.0  # the CPU reaches 21.9 dB (RGB) and 27.7 dB (YUV) with these settings
