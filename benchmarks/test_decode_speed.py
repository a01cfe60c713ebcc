"""Decode speed at 768x512: AVIF (the baseline of the ``decode-768x512`` group)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import BENCH_THREADS, SpeedTable
from PIL import Image

from coolchic.evaluation.codecs import decode_threads

GROUP = "decode-768x512"


def _decode_avif(data: bytes) -> np.ndarray:
    with decode_threads(BENCH_THREADS), Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.mark.benchmark(group=GROUP)
def test_avif_decode_768x512(benchmark, avif_file: bytes, speed_table: SpeedTable) -> None:
    pixels = benchmark(_decode_avif, avif_file)
    assert pixels.shape == (512, 768, 3)
    speed_table.add(GROUP, "avif", benchmark, baseline=True)


@pytest.mark.benchmark(group=GROUP)
def test_coolchic_decode_768x512(benchmark, cool_file, kodak_pixels, speed_table: SpeedTable) -> None:
    """Whole decode of the official kodim01 stream (entropy path, upsampling, synthesis)."""
    import coolchic

    data = cool_file.read_bytes()
    coolchic.decode(data, threads=BENCH_THREADS)  # warm-up: torch import, tables
    decoded = benchmark(coolchic.decode, data, threads=BENCH_THREADS)
    assert decoded.array.shape == kodak_pixels.shape
    speed_table.add(GROUP, "coolchic", benchmark)
