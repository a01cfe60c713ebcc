"""Speed of the 3.0 entropy path (header, NN streams, latent grids) on official Kodak streams.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python -m pytest benchmarks/bench_decode_entropy.py
--benchmark-only -q`` (the file is not collected by ``make bench``'s default pattern; numpy's
BLAS thread count must be set before numpy is imported, hence the environment variable).
Budget: well under 0.5 s per 768x512 image on one core (the whole decode budget).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coolchic.c3.payload import read_payload

KODAK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coolchic3" / "kodak-bitstreams"
STREAMS = ["kodim01-lmbda-00001.bin", "kodim01-lmbda-0001.bin", "kodim01-lmbda-002.bin"]


@pytest.mark.benchmark(group="c3-entropy-decode-768x512", min_rounds=7, warmup=True)
@pytest.mark.parametrize("name", STREAMS)
def test_entropy_decode(benchmark, name: str) -> None:
    data = (KODAK / name).read_bytes()
    frame = benchmark(read_payload, data)
    assert (frame.height, frame.width) == (512, 768)
