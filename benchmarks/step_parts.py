"""Where a training iteration's time goes: each part's forward + backward, timed alone.

Run (from the repository root, on a quiet machine)::

    .venv/bin/python benchmarks/step_parts.py --threads 2
    .venv/bin/python benchmarks/step_parts.py --threads 2 --compile-laplace   # probe
    .venv/bin/python benchmarks/step_parts.py --threads 2 --dense-dtype       # probe
    python3 benchmarks/step_parts.py --device cuda --whole-step               # on a GPU

Parts, on the default model at 768x512 with random latents: the noise proxy of the latents,
the ARM rate (:mod:`coolchic.training.arm_rate`), the upsampling cascade, the synthesis with
its 1x1 layers fused (:mod:`coolchic.training.pointwise`) and without; with ``--whole-step``
also whole training iterations of the default and light models with SOAP (the presets'
optimiser) and with Adam. Each figure is the median of 9 runs after 2 warm-up runs, in
milliseconds (GPU work is waited for).

``--compile-laplace`` runs the ARM rate with its per-slab Laplace arithmetic compiled by
``torch.compile`` (needs a C++ compiler; not used by the encoder). ``--dense-dtype`` times
the ARM's three matmul shapes on one slab (24 x 24 weights) in float32 and bfloat16.

Measured on the 2-core Xeon VM (AVX-512 with bf16 instructions), quiet, two runs each:

* 2 threads: proxy 7.1-7.3 ms, ARM rate 58.0-60.1, upsampling 21.7-22.8, synthesis 61.9-64.2
  (unfused 66.7-67.1); the whole step (``bench_train_step.py``) 164.4 ms.
  1 thread: 10.2, 90.3, 46.8, 81.8 (111.6); step 245.2 ms.
* Session 8, with the 3x3 layers in :mod:`coolchic.training.conv_tail`: synthesis 41.8-47.7
  ms (51.9-58.8 before, same VM, alternating runs), whole default step 140.5-151.5 ms
  (151.7-160.4 before).
* Session 9, the noise proxy as one autograd function (:mod:`coolchic.training.quantizers`):
  6.2 / 6.2 ms (7.2 / 7.5 before, alternating runs on one VM). Dense layers' weight gradients
  as a ``bmm`` of one column range per thread (:func:`coolchic.training.dense_stack.add_weight_grad`):
  ARM rate 58.3-59.2 ms (62.7-67.7 before), whole default step 143.4-148.9 ms (150.1-159.3),
  light 105.0-108.5 ms (112.9-120.8), three alternating runs each. All of session 9 (also the
  clamped MSE, the pointwise input copied once, the in-place ReLU backward) against session 8's
  last commit, five alternating runs in a slow state of the VM: default step 150.0-166.4 ms
  (median 159.2) against 169.3-187.5 (178.8), light 113.7-137.2 (121.5) against 128.7-150.8
  (133.0): -11 % and -9 %.
* ``--compile-laplace``: ARM rate 59.2 / 55.9 ms with 2 threads, 85.9 with 1 (eager 60.1 /
  58.0 and 90.3): 1.5-5 % of the ARM, under 3 % of the step, for a C++ toolchain at run
  time. Not used.
* ``--dense-dtype`` (65 536 columns, 2 threads): float32 517 / 365 / 556 us (forward, input
  grad, weight grad), bfloat16 684 / 555 / 963 us. bfloat16 is slower for these narrow
  matmuls, before any conversion cost, so training stays in float32.

On an NVIDIA H200 (``--device cuda --whole-step``, one run, ``results/gpu-h200.md``): proxy
4.3 ms, ARM rate 10.1, upsampling 7.4, synthesis 2.7 (unfused 2.0); whole step 27.3 ms
default / SOAP, 26.2 light / SOAP: bound by kernel launches.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Callable

import numpy as np
import torch

from coolchic.api import encoder_options
from coolchic.options import LIGHT_ARCHITECTURE, EncoderOptions
from coolchic.planes import Planes
from coolchic.training import arm_rate as arm_rate_module
from coolchic.training.allocator import reuse_freed_memory
from coolchic.training.evaluation import Evaluator
from coolchic.training.loop import train_step
from coolchic.training.model import LATENT_GAIN, CoolChicModel
from coolchic.training.optim import make_optimizer
from coolchic.training.pointwise import synthesis_forward
from coolchic.training.quantizers import noise_quantize
from coolchic.training.schedule import build_recipe
from coolchic.training.target import Target

HEIGHT, WIDTH = 512, 768


def median_ms(run: Callable[[], object], repeats: int = 9, device: torch.device | None = None) -> float:
    """Median wall time of ``run`` in ms, after two untimed runs (GPU work waited for)."""
    def timed() -> float:
        start = time.perf_counter()
        run()
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start

    for _ in range(2):
        timed()
    return sorted(timed() for _ in range(repeats))[repeats // 2] * 1e3


def random_latent_model(options: EncoderOptions, generator: torch.Generator) -> CoolChicModel:
    """A 768x512 RGB model of ``options``' architecture with N(0, 0.3) latents (a mid-training state)."""
    model = CoolChicModel(options.architecture(3), HEIGHT, WIDTH, generator)
    with torch.no_grad():
        for latent in model.latents:
            latent.normal_(0.0, 0.3, generator=generator)
    return model


def step_parts(device: torch.device) -> dict[str, Callable[[], None]]:
    """Forward + backward of each part of the training step, on the default model."""
    generator = torch.Generator().manual_seed(0)
    options = EncoderOptions.from_kwargs()
    model = random_latent_model(options, generator).to(device)
    noise = torch.Generator(device=device).manual_seed(1)
    grids = [(LATENT_GAIN * p).detach().requires_grad_() for p in model.latents]
    upsampled = model.upsampling(grids).detach().requires_grad_()

    def quantize() -> None:
        sum(noise_quantize(LATENT_GAIN * p, 0.3, 2.0, noise).sum() for p in model.latents).backward()

    return {
        "noise proxy": quantize,
        "ARM rate": lambda: arm_rate_module.arm_rate(model.arm, grids, options.n_ctx_rowcol).backward(),
        "upsampling": lambda: model.upsampling(grids).sum().backward(),
        "synthesis (1x1 fused)": lambda: synthesis_forward(model.synthesis, upsampled).sum().backward(),
        "synthesis (unfused)": lambda: model.synthesis(upsampled).sum().backward(),
    }


def training_step(device: torch.device, architecture: str, optimiser: str) -> Callable[[], None]:
    """One :func:`~coolchic.training.loop.train_step` of the ``default`` or ``light`` model on a
    random 768x512 image, with the ``lean`` recipe's main-phase optimiser (``soap``: SOAP for
    the networks) or plain Adam (``adam``)."""
    rng = np.random.default_rng(0)
    planes = Planes("rgb", 8, tuple(rng.integers(0, 256, (HEIGHT, WIDTH), dtype=np.uint8) for _ in range(3)))
    evaluate = Evaluator(Target(planes, str(device)), 1e-3)
    medium = encoder_options(preset="medium")
    phase = dataclasses.replace(build_recipe(medium.recipe, medium.n_itr, medium.start_lr).phases[0],
                                optimizer=optimiser)
    arch = LIGHT_ARCHITECTURE if architecture == "light" else {}
    model = random_latent_model(EncoderOptions.from_kwargs(**arch), torch.Generator().manual_seed(0)).to(device)
    params = list(model.parameters())
    optimizer = make_optimizer(model, phase)
    noise = torch.Generator(device=device).manual_seed(1)
    return lambda: train_step(model, lambda x: noise_quantize(x, 0.3, 2.0, noise), evaluate, optimizer, params)


def whole_steps(device: torch.device) -> dict[str, Callable[[], None]]:
    """:func:`training_step` of the default and light models, with SOAP and with Adam."""
    return {f"step, {architecture}, {optimiser}": training_step(device, architecture, optimiser)
            for architecture in ("default", "light") for optimiser in ("soap", "adam")}


def dense_dtype_rows(threads: int) -> list[tuple[str, float]]:
    """The ARM's forward, input-gradient and weight-gradient matmuls on one slab, per dtype."""
    n = arm_rate_module.SLAB_POSITIONS * threads
    rows = []
    for dtype in (torch.float32, torch.bfloat16):
        weight, bias = torch.randn(24, 24, dtype=dtype), torch.randn(24, 1, dtype=dtype)
        acts, grad = torch.randn(24, n, dtype=dtype), torch.randn(24, n, dtype=dtype)
        name = str(dtype).removeprefix("torch.")
        rows.append((f"{name} forward W @ x", median_ms(lambda: torch.addmm(bias, weight, acts), 51)))
        rows.append((f"{name} input grad W.T @ g", median_ms(lambda: weight.t() @ grad, 51)))
        rows.append((f"{name} weight grad g @ x.T", median_ms(lambda: grad @ acts.t(), 51)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--whole-step", action="store_true", help="also time whole training steps")
    parser.add_argument("--compile-laplace", action="store_true")
    parser.add_argument("--dense-dtype", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.dense_dtype:
        for name, ms in dense_dtype_rows(args.threads):
            print(f"{name:32s} {ms * 1e3:8.0f} us")
        return
    if args.compile_laplace:
        arm_rate_module._laplace_slab = torch.compile(  # type: ignore[assignment]
            arm_rate_module._laplace_slab, dynamic=True, fullgraph=True
        )
    device = torch.device(args.device)
    with reuse_freed_memory():
        runs = step_parts(device)
        if args.whole_step:
            runs.update(whole_steps(device))
        for name, run in runs.items():
            print(f"{name:24s} {median_ms(run, device=device):8.1f} ms", flush=True)


if __name__ == "__main__":
    main()
