"""Complete tiny encodes: every phase, NN quantisation search, zero-scale removal when asked."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from coolchic import api
from coolchic.c3.frame import ARM_Q_STEPS, NN_Q_STEPS, Frame, latent_sizes
from coolchic.c3.payload import read_payload, write_payload
from coolchic.container import read_container
from coolchic.model.reconstruct import synthesize
from coolchic.options import EncoderOptions
from coolchic.planes import Planes
from coolchic.training import encoder as encoder_module
from coolchic.training.arm_check import zero_scale_count
from coolchic.training.encoder import ProgressEvent, fit
from coolchic.training.zero_scale import remove_zero_scales

N_ITR = 200


def _smooth(height: int, width: int, phase: float, bitdepth: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    v = 0.5 + 0.35 * np.sin(xx / 5.0 + phase) * np.cos(yy / 7.0 - phase) + 0.1 * (xx / max(width, 1))
    dtype = np.uint8 if bitdepth == 8 else np.uint16
    return np.round(np.clip(v, 0, 1) * ((1 << bitdepth) - 1)).astype(dtype)


def _planes(color: str, height: int, width: int, bitdepth: int = 8) -> Planes:
    if color == "rgb":
        planes = tuple(_smooth(height, width, p, bitdepth) for p in (0.0, 1.0, 2.0))
    elif color == "gray":
        planes = (_smooth(height, width, 0.5, bitdepth),)
    else:
        planes = (_smooth(height, width, 0.0, bitdepth),) + tuple(
            _smooth(height // 2, width // 2, p, bitdepth) for p in (1.0, 2.0)
        )
    return Planes(color, bitdepth, planes)  # type: ignore[arg-type]


def _psnr_and_baseline(frame: Frame, planes: Planes) -> tuple[float, float]:
    """PSNR of the decoded frame (spec §2.3 weighting) and of a flat mid-grey guess."""
    out = synthesize(frame)
    peak = planes.max_value
    decoded = [np.clip(np.round(out[0 if planes.color != "rgb" else i] * peak), 0, peak) for i in range(len(planes.planes))]
    if planes.color == "yuv420":
        hc, wc = planes.planes[1].shape
        decoded = [decoded[0]] + [np.clip(np.round(out[c, ::2, ::2][:hc, :wc] * peak), 0, peak) for c in (1, 2)]
    err = sum(float(np.sum((d / peak - p / peak) ** 2)) for d, p in zip(decoded, planes.planes))
    base = sum(float(np.sum((0.5 - p / peak) ** 2)) for p in planes.planes)
    n = sum(p.size for p in planes.planes)
    return -10 * math.log10(err / n), -10 * math.log10(base / n)


def _check_frame(frame: Frame, planes: Planes) -> None:
    arch = frame.architecture
    assert (frame.height, frame.width, frame.bitdepth) == (planes.height, planes.width, planes.bitdepth)
    assert frame.frame_type == ("yuv420" if planes.color == "yuv420" else "rgb")
    assert arch.out_channels == (1 if planes.color == "gray" else 3)
    sizes = latent_sizes(planes.height, planes.width, len(arch.n_ft_per_res))
    assert [y.shape for y in frame.latents] == [(c, h, w) for c, (h, w) in zip(arch.n_ft_per_res, sizes)]
    assert all(y.dtype == np.int32 for y in frame.latents)
    assert 0 <= frame.arm.weight_q_index < len(ARM_Q_STEPS) and frame.arm.bias_q_index is not None
    assert 0 <= frame.synthesis.weight_q_index < len(NN_Q_STEPS)
    assert frame.upsampling.bias_symbols is None
    for params in (frame.arm, frame.upsampling, frame.synthesis):
        assert np.abs(params.weight_symbols).max() <= 65535


@pytest.fixture(scope="module")
def rgb_encode() -> tuple[Planes, Frame, list[ProgressEvent], int]:
    planes = _planes("rgb", 48, 64)
    events: list[ProgressEvent] = []
    before = torch.get_num_threads()
    frame = fit(planes, EncoderOptions(n_itr=N_ITR, seed=1, threads=1, lmbda=1e-3), progress=events.append)
    return planes, frame, events, before


def test_rgb_encode_is_complete_and_good(rgb_encode) -> None:  # type: ignore[no-untyped-def]
    planes, frame, events, before = rgb_encode
    _check_frame(frame, planes)
    psnr, baseline = _psnr_and_baseline(frame, planes)
    assert psnr > baseline + 10, (psnr, baseline)
    assert torch.get_num_threads() == before
    phases = [e.phase for e in events]
    for name in ("warmup1", "warmup2", "phase0", "ste1", "ste32", "latents"):
        assert name in phases
    assert all(e.iteration <= e.total_iterations and math.isfinite(e.loss) for e in events)
    # the last test point reports what synthesize() decodes (same float path)
    assert abs(events[-1].psnr_db - psnr) < 0.5  # type: ignore[operator]


def test_rgb_frame_round_trips_through_the_payload(rgb_encode) -> None:  # type: ignore[no-untyped-def]
    planes, frame, _, _ = rgb_encode
    decoded = read_payload(write_payload(frame))
    for a, b in zip(decoded.latents, frame.latents):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(synthesize(decoded), synthesize(frame))


@pytest.mark.parametrize(
    ("color", "height", "width", "bitdepth", "margin_db"),
    [("gray", 25, 31, 8, 6), ("yuv420", 23, 29, 8, 6), ("yuv420", 20, 26, 10, 6), ("rgb", 1, 7, 10, 1)],
)
def test_other_formats_and_odd_sizes(color: str, height: int, width: int, bitdepth: int, margin_db: float) -> None:
    planes = _planes(color, height, width, bitdepth)
    frame = fit(planes, EncoderOptions(n_itr=N_ITR, seed=0, n_ctx_rowcol=2, layers_arm="12,12", lmbda=1e-4, threads=1))
    _check_frame(frame, planes)
    psnr, baseline = _psnr_and_baseline(frame, planes)
    assert psnr > baseline + margin_db, (psnr, baseline)


def test_seed_makes_cpu_encodes_reproducible() -> None:
    planes = _planes("rgb", 12, 10)
    options = EncoderOptions(n_itr=8, seed=3, n_ft_per_res="1,1,1", threads=1)
    a, b = fit(planes, options), fit(planes, options)
    for x, y in zip(a.latents, b.latents):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.synthesis.weight_symbols, b.synthesis.weight_symbols)


@pytest.mark.parametrize("n_ft_per_res", ["0,1,1", "1,0,2"])
def test_resolutions_without_channels_encode(n_ft_per_res: str) -> None:
    """The format allows c_i = 0 (spec §3.1): such a resolution has no latents to train."""
    planes = _planes("rgb", 24, 20)
    frame = fit(planes, EncoderOptions(n_itr=40, seed=0, threads=1, n_ft_per_res=n_ft_per_res, recipe="lean"))
    _check_frame(frame, planes)
    assert frame.architecture.n_ft_per_res == tuple(int(c) for c in n_ft_per_res.split(","))
    decoded = read_payload(write_payload(frame))
    np.testing.assert_array_equal(synthesize(decoded), synthesize(frame))


def test_threads_option_is_restored_after_fit() -> None:
    before = torch.get_num_threads()
    seen: list[int] = []
    fit(_planes("gray", 8, 8), EncoderOptions(n_itr=2, threads=1, n_ft_per_res="1,1"),
        progress=lambda e: seen.append(torch.get_num_threads()))
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


def _with_zero_scales(frame: Frame) -> Frame:
    bias = frame.arm.bias_symbols.copy()
    bias[-1] += int(round(40.0 / ARM_Q_STEPS[frame.arm.bias_q_index]))  # log-scale +40: scale ~ 0
    return dataclasses.replace(frame, arm=dataclasses.replace(frame.arm, bias_symbols=bias))


def test_zero_scales_are_removed(rgb_encode) -> None:  # type: ignore[no-untyped-def]
    _, frame, _, _ = rgb_encode
    broken = _with_zero_scales(frame)
    bias = broken.arm.bias_symbols
    assert zero_scale_count(broken) > 0
    fixed = remove_zero_scales(broken)
    assert zero_scale_count(fixed) == 0
    assert fixed.arm.bias_symbols[-1] < bias[-1]
    np.testing.assert_array_equal(fixed.arm.bias_symbols[:-1], bias[:-1])
    write_payload(fixed)


@pytest.mark.parametrize("avoid", [False, True])
def test_zero_scale_removal_runs_only_when_asked(avoid: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Frame] = []

    def spy(frame: Frame) -> Frame:
        calls.append(frame)
        return remove_zero_scales(frame)

    monkeypatch.setattr(encoder_module, "remove_zero_scales", spy)
    fit(_planes("rgb", 16, 16), EncoderOptions(n_itr=3, threads=1, seed=0, recipe="lean", avoid_zero_scales=avoid))
    assert bool(calls) == avoid


@pytest.mark.parametrize("avoid", [False, True])
def test_encode_writes_zero_scales_unless_asked_to_avoid_them(
    avoid: bool, rgb_encode, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    planes, frame, _, _ = rgb_encode
    broken = _with_zero_scales(frame)
    monkeypatch.setattr(encoder_module, "fit", lambda *args, **kwargs: broken)
    pixels = np.stack(planes.planes, axis=-1)
    if avoid:  # the encoder would have removed them: writing them anyway is refused
        with pytest.raises(ValueError, match="scale"):
            api.encode(pixels, n_itr=1, avoid_zero_scales=True)
    else:
        result = api.encode(pixels, n_itr=1)
        _, _, payload = read_container(result.data)
        assert zero_scale_count(read_payload(payload)) > 0
