"""Shared fixtures of the speed benchmarks (pytest-benchmark) and the ratio report.

Run: ``.venv/bin/python -m pytest benchmarks -q --benchmark-only`` (``make bench``).

Every timed decoder runs with :data:`BENCH_THREADS` threads. Benchmarks that should be
compared register their result in ``speed_table`` under a group, one of them as the
baseline; at the end of the session the median of every other entry of the group is
printed as a ratio to the baseline. For instance the AVIF decode of the 768x512 Kodak image
is the baseline of the group ``decode-768x512``; a Cool-chic decode benchmark adds itself
with ``speed_table.add("decode-768x512", "coolchic", benchmark)`` and the summary reports
``coolchic / avif``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
KODAK_IMAGE = SHARED / "data" / "kodak" / "kodim01.png"
"""The 768x512 image of the decode benchmarks."""
REFERENCE_STREAM = SHARED / "data" / "coolchic3" / "kodak-bitstreams" / "kodim01-lmbda-0001.bin"
"""Official Cool-chic 3.0 stream of kodim01 at λ = 1e-3 (0.854 bpp)."""
BENCH_THREADS = 1
"""Threads given to every decoder that is timed."""
AVIF_MATCH_SPEED = 6
"""libavif speed of the AVIF file of the decode benchmark (only its encode time depends on it)."""


@dataclass
class SpeedTable:
    """Median times by group and name, with one baseline per group."""

    medians: dict[str, dict[str, float]] = field(default_factory=dict)
    baselines: dict[str, str] = field(default_factory=dict)

    def add(self, group: str, name: str, benchmark, baseline: bool = False) -> None:
        """Record the median of a finished ``benchmark`` (nothing when timing is disabled)."""
        if baseline:
            self.baselines[group] = name
        stats = getattr(benchmark, "stats", None)
        if stats is not None:
            self.medians.setdefault(group, {})[name] = stats.stats.median

    def ratios(self) -> list[str]:
        """One line per non-baseline entry: ``group: name / baseline = ratio``."""
        lines = []
        for group, base in self.baselines.items():
            medians = self.medians.get(group, {})
            if base not in medians:
                continue
            for name, median in medians.items():
                if name != base:
                    lines.append(
                        f"{group}: {name} / {base} = {median / medians[base]:.2f}x "
                        f"(medians {median * 1e3:.2f} ms / {medians[base] * 1e3:.2f} ms)"
                    )
        return lines


SPEED_TABLE_KEY = pytest.StashKey[SpeedTable]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[SPEED_TABLE_KEY] = SpeedTable()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    lines = config.stash[SPEED_TABLE_KEY].ratios()
    if lines:
        terminalreporter.section("speed ratios (median time)")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def speed_table(pytestconfig: pytest.Config) -> SpeedTable:
    return pytestconfig.stash[SPEED_TABLE_KEY]


def _shared_file(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"benchmark data missing: {path} (the project's shared/ data)")
    return path


@pytest.fixture(scope="session")
def kodak_pixels() -> np.ndarray:
    """kodim01 as uint8 512 x 768 x 3."""
    with Image.open(_shared_file(KODAK_IMAGE)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="session")
def reference_stream() -> bytes:
    """The official Cool-chic 3.0 stream of kodim01 (raw ``.bin``)."""
    return _shared_file(REFERENCE_STREAM).read_bytes()


@pytest.fixture(scope="session")
def cool_file(tmp_path_factory: pytest.TempPathFactory, reference_stream: bytes) -> Path:
    """A ``.cool`` file holding the official kodim01 stream."""
    from coolchic.container import ContainerHeader, write_container

    path = tmp_path_factory.mktemp("cool") / "kodim01.cool"
    path.write_bytes(write_container(reference_stream, ContainerHeader(768, 512, "rgb", 8)))
    return path


def _avif(pixels: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(
        buf, "AVIF", quality=quality, subsampling="4:4:4", speed=AVIF_MATCH_SPEED,
        max_threads=BENCH_THREADS,
    )
    return buf.getvalue()


@pytest.fixture(scope="session")
def avif_file(kodak_pixels: np.ndarray, reference_stream: bytes) -> bytes:
    """AVIF 4:4:4 of kodim01 at the quality whose size is closest to the reference stream's.

    Matching the rate makes the decode comparison fair: both decoders get as many bytes.
    """
    low, high = 0, 100
    while high - low > 1:  # file size grows with quality
        mid = (low + high) // 2
        if len(_avif(kodak_pixels, mid)) <= len(reference_stream):
            low = mid
        else:
            high = mid
    candidates = [_avif(kodak_pixels, q) for q in (low, high)]
    return min(candidates, key=lambda data: abs(len(data) - len(reference_stream)))
