"""Decoder float path, synthesis maths and the torch fixed-point ARM."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from coolchic.c3.arm_fixed import FixedPointArm
from coolchic.c3.arm_fixed import grid_contexts as c3_grid_contexts
from coolchic.c3.frame import (
    ARM_Q_STEPS,
    Frame,
    QuantizedParams,
    arm_param_shapes,
    latent_sizes,
    split_params,
    synthesis_param_shapes,
)
from coolchic.model.arm import Arm, FixedPointArmTorch, coder_scale
from coolchic.model.context import grid_contexts
from coolchic.model.reconstruct import synthesize
from coolchic.model.synthesis import Synthesis
from coolchic.model.upsampling import bicubic_kernel
from coolchic.options import EncoderOptions


def _n(shapes: list, kind: str) -> int:
    return sum(int(np.prod(s)) for name, s in shapes if name.endswith(kind))


def _random_frame(height: int, width: int, seed: int = 0, **options: object) -> Frame:
    rng = np.random.default_rng(seed)
    arch = EncoderOptions.from_kwargs(**options).architecture(3)
    arm_shapes, syn_shapes = arm_param_shapes(arch), synthesis_param_shapes(arch)
    k = arch.upsampling_kernel_size
    latents = [
        rng.integers(-3, 4, (c, h, w)).astype(np.int32)
        for c, (h, w) in zip(arch.n_ft_per_res, latent_sizes(height, width, len(arch.n_ft_per_res)))
    ]
    return Frame(
        height, width, "rgb", 8, arch,
        arm=QuantizedParams(rng.integers(-40, 40, _n(arm_shapes, "weight")).astype(np.int32), 1,
                            rng.integers(-200, 200, _n(arm_shapes, "bias")).astype(np.int32), 3),
        upsampling=QuantizedParams(
            (np.round(bicubic_kernel(k).numpy().ravel() * 256) + rng.integers(-3, 4, k * k)).astype(np.int32), 8
        ),
        synthesis=QuantizedParams(rng.integers(-500, 500, _n(syn_shapes, "weight")).astype(np.int32), 9,
                                  rng.integers(-500, 500, _n(syn_shapes, "bias")).astype(np.int32), 9),
        latents=latents,
    )


def test_synthesize_shape_and_thread_determinism() -> None:
    frame = _random_frame(37, 29)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = synthesize(frame)
        torch.set_num_threads(2)
        two = synthesize(frame)
    finally:
        torch.set_num_threads(previous)
    assert one.shape == (3, 37, 29) and one.dtype == np.float32
    assert np.array_equal(one, two)
    assert np.isfinite(one).all() and one.std() > 0


@pytest.mark.parametrize("layers", ["6-3-linear-gelu,6-3-residual-leakyrelu,X-1-linear-none",
                                    "40-1-linear-relu,40-3-residual-relu,X-3-linear-none"])
def test_synthesis_matches_replicate_padded_conv2d(layers: str) -> None:
    arch = EncoderOptions(layers_synthesis=layers, n_ft_per_res="2,1").architecture(3)
    syn = Synthesis(3, arch.synthesis)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in syn.parameters():
            p.normal_(0, 0.3)
        x = torch.randn(3, 9, 11)
        got = syn(x)
        ref = x.unsqueeze(0)
        for spec, conv in zip(arch.synthesis, syn.layers):
            pad = (spec.kernel_size - 1) // 2
            y = F.conv2d(F.pad(ref, (pad,) * 4, mode="replicate"), conv.weight, conv.bias)
            y = y + ref if spec.residual else y
            ref = {"relu": F.relu, "gelu": F.gelu, "none": lambda t: t,
                   "leakyrelu": lambda t: F.leaky_relu(t, 0.01)}[spec.nonlinearity](y)
    torch.testing.assert_close(got, ref[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("n_ctx_rowcol", "size"), [(1, (19, 23)), (2, (19, 23)), (3, (19, 23)), (3, (70, 80))])
def test_torch_fixed_point_arm_equals_decoder_arm(n_ctx_rowcol: int, size: tuple[int, int]) -> None:
    """Also across chunk boundaries: 70 x 80 = 5600 positions > ``FIXED_ARM_CHUNK``."""
    hidden = 2 * n_ctx_rowcol * (n_ctx_rowcol + 1)
    frame = _random_frame(*size, seed=n_ctx_rowcol, n_ctx_rowcol=n_ctx_rowcol, layers_arm=f"{hidden},{hidden}")
    arch = frame.architecture
    arm = Arm(arch.n_ctx, arch.layers_arm)
    values = split_params(frame.arm, arm_param_shapes(arch), ARM_Q_STEPS)
    arm.load_state_dict({k: torch.from_numpy(v) for k, v in values.items()})
    grid = frame.latents[0][0] * 7
    m, l = FixedPointArmTorch(arm)(grid_contexts(torch.from_numpy(grid[None]).double(), n_ctx_rowcol))
    mu64, scale128 = FixedPointArm(arch, frame.arm).predict(c3_grid_contexts(grid, n_ctx_rowcol))
    np.testing.assert_array_equal(m.numpy().astype(np.int64), mu64)
    np.testing.assert_array_equal((coder_scale(l) * 128).numpy().astype(np.int64), scale128)
