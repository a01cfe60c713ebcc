"""Seconds per training iteration of the default model at 768x512 (spec default architecture).

Run: ``.venv/bin/python -m pytest benchmarks/bench_train_step.py --benchmark-only``
(wall time), and add ``--benchmark-timer time.process_time`` for process CPU time, the
steadier figure on a shared machine (for 2 threads it sums both threads).
Measures :func:`coolchic.training.loop.train_step` (phase-0 noise proxy, Adam, grad clip)
with 1 and 2 torch threads, inside the encoder's allocator setting, for the default
architecture and the ``fast`` preset's :data:`~coolchic.options.LIGHT_ARCHITECTURE`.

Measured 1 thread, CPU time median on a busy 2-core Xeon (AVX-512) box: 0.45 s before the
fused ARM + rate (:mod:`coolchic.training.arm_rate`), polyphase upsampling and
channels-last k x k synthesis convs; 0.31 s after. 2-thread figures on that box were
dominated by the other processes' load (0.7-2 s) and are not comparable.
"""

from __future__ import annotations

import pytest
import torch

from coolchic.training.allocator import reuse_freed_memory

from step_parts import training_step  # benchmarks/ is on sys.path under pytest


@pytest.mark.parametrize("architecture", ["default", "light"])
@pytest.mark.parametrize("threads", [1, 2])
def test_train_step_768x512(benchmark, threads: int, architecture: str) -> None:  # type: ignore[no-untyped-def]
    step = training_step(torch.device("cpu"), architecture, "adam")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with reuse_freed_memory():
            step()
            benchmark.pedantic(step, rounds=7, iterations=1, warmup_rounds=1)
    finally:
        torch.set_num_threads(previous)
