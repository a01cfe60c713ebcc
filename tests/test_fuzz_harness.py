"""A short run of the fuzzing harness (the campaign itself is ``python -m benchmarks.fuzz``)."""

from __future__ import annotations

from collections import Counter

import coolchic
from benchmarks.fuzz.mutate import make_input
from benchmarks.fuzz.seeds import synthetic_seeds
from benchmarks.fuzz.target import ENTRY_POINTS, run_one


def test_seeds_are_valid_and_cover_every_kind() -> None:
    seeds = synthetic_seeds()
    colours = set()
    for name, data in seeds.items():
        decoded = coolchic.decode(data)
        colours.add((decoded.info.color, decoded.info.bitdepth))
        if name.endswith(".cool"):
            assert decoded.info.container_version == (1, 0)
    assert colours >= {("rgb", 8), ("rgb", 10), ("gray", 8), ("gray", 10), ("yuv420", 8), ("yuv420", 10)}
    assert any(len(coolchic.read_info(d).metadata) >= 3 for d in seeds.values())


def test_inputs_are_reproducible_and_mutated() -> None:
    seeds = list(synthetic_seeds().values())
    assert make_input(seeds, 7, 123) == make_input(seeds, 7, 123)
    assert all(make_input(seeds, 7, i)[1] not in seeds for i in range(20))


def test_short_campaign_has_only_documented_outcomes() -> None:
    seeds = list(synthetic_seeds().values())
    outcomes: Counter[str] = Counter()
    for index in range(120):
        data = make_input(seeds, 99, index)[1]
        for entry in ENTRY_POINTS:
            outcomes[run_one(entry, data)] += 1  # raises on anything undocumented
    assert outcomes["CorruptDataError"] and outcomes["TruncatedDataError"]
