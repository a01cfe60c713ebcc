"""Thread safety: concurrent decodes equal sequential ones, encode and decode overlap,
and torch's process-wide thread count is restored even when calls overlap."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

import coolchic
from coolchic.c3.payload import write_payload
from coolchic.container import ContainerHeader, write_container
from coolchic.threads import torch_threads

from c3_frames import random_frame, small_arch
from integration_helpers import TINY, rgb_image


def _files() -> list[bytes]:
    """Three small valid files (rgb, grey, yuv420) written without training."""
    rng = np.random.default_rng(5)
    kinds = (("rgb", "rgb", 3, 8), ("gray", "rgb", 1, 8), ("yuv420", "yuv420", 3, 10))
    files = []
    for color, frame_type, out, bitdepth in kinds:
        frame = random_frame(rng, small_arch(out_channels=out), 20, 28, frame_type, bitdepth)
        files.append(write_container(write_payload(frame), ContainerHeader(28, 20, color, bitdepth)))  # type: ignore[arg-type]
    return files


FILES = _files()


@pytest.fixture
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _decode(data: bytes) -> np.ndarray:
    return coolchic.decode(data).array


def test_four_threads_decoding_the_same_file(one_torch_thread) -> None:
    expected = _decode(FILES[0])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_decode, [FILES[0]] * 12))
    assert all(np.array_equal(r, expected) for r in results)


def test_four_threads_decoding_different_files(one_torch_thread) -> None:
    expected = [_decode(f) for f in FILES]
    jobs = FILES * 4
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(_decode, jobs))
    for data, result in zip(jobs, results):
        assert np.array_equal(result, expected[FILES.index(data)])


def test_encode_in_one_thread_while_decoding_in_another(one_torch_thread) -> None:
    expected = [_decode(f) for f in FILES]
    solo = coolchic.encode(rgb_image(), **TINY)
    outcome: dict[str, object] = {}

    def encode() -> None:
        outcome["result"] = coolchic.encode(rgb_image(), **TINY)

    encoder = threading.Thread(target=encode)
    encoder.start()
    decoded = 0
    while encoder.is_alive() or decoded < 3:
        for data, want in zip(FILES, expected):
            assert np.array_equal(_decode(data), want)
        decoded += 1
    encoder.join()
    result = outcome["result"]
    assert result.data == solo.data  # type: ignore[attr-defined]
    assert np.array_equal(coolchic.decode(result.data).array, solo.reconstruction)  # type: ignore[attr-defined]


def test_thread_count_restored_after_each_call() -> None:
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        coolchic.decode(FILES[0], threads=1)
        assert torch.get_num_threads() == 3
        coolchic.encode(rgb_image(12, 8), **{**TINY, "n_itr": 2, "threads": 2})
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(previous)


def test_thread_count_restored_when_calls_overlap() -> None:
    """Calls with different counts from several threads: each runs with its own count and
    every thread, the main one included, ends with the count it had."""
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        seen: list[tuple[int, int, int]] = []

        def call(i: int) -> None:
            threads = 1 + i % 2
            before = torch.get_num_threads()
            with torch_threads(threads):
                inside = torch.get_num_threads()
                coolchic.decode(FILES[i % 3], threads=threads)
            seen.append((threads, inside, torch.get_num_threads() - before))

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(call, range(12)))
        assert all(threads == inside and change == 0 for threads, inside, change in seen)
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(previous)
