"""Conformance with the official Cool-chic 3.0 streams: decoded PSNR equals the published one.

The default run checks a sample covering every architecture of the Kodak set (N=2 and N=3,
three synthesis widths, a portrait image, all-zero grids, heavy zero-scale use); the slow
run (``make test-full``) checks all 120 Kodak streams and decodes all 20 JVET 4:2:0 streams.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import coolchic
from coolchic.api import psnr_db
from coolchic.imageconv import to_planes

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
C3 = SHARED / "data" / "coolchic3"
KODAK = SHARED / "data" / "kodak"


def _published() -> dict[str, float]:
    with open(C3 / "kodak-results.tsv", newline="") as f:
        rows = csv.DictReader(f, delimiter="\t")
        return {
            f"{r['seq_name']}-lmbda-{r['lmbda'].replace('.', '')}": float(r["psnr_db"]) for r in rows
        }


PUBLISHED = _published()
SAMPLE = ["kodim04-lmbda-00001", "kodim15-lmbda-00001", "kodim24-lmbda-002", "kodim16-lmbda-0004"]
ALL_KODAK = sorted(PUBLISHED)
ALL_JVET = sorted(p.name for p in (C3 / "jvet-D-bitstreams").glob("*.bin"))


def _check_kodak(name: str) -> None:
    data = (C3 / "kodak-bitstreams" / f"{name}.bin").read_bytes()
    decoded = coolchic.decode(data, threads=1)
    with Image.open(KODAK / f"{name.split('-')[0]}.png") as im:
        reference = to_planes(np.asarray(im.convert("RGB")))
    assert psnr_db(reference, decoded.planes) == pytest.approx(PUBLISHED[name], abs=1e-4)
    assert decoded.info.file_size == len(data)


def test_published_table_and_streams_match() -> None:
    assert len(ALL_KODAK) == 120 and len(ALL_JVET) == 20
    for name in ALL_KODAK:
        assert (C3 / "kodak-bitstreams" / f"{name}.bin").is_file()


@pytest.mark.parametrize("name", SAMPLE)
def test_kodak_sample_decodes_to_published_psnr(name: str) -> None:
    _check_kodak(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_KODAK)
def test_every_kodak_stream_decodes_to_published_psnr(name: str) -> None:
    _check_kodak(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL_JVET)
def test_every_jvet_stream_decodes(name: str) -> None:
    data = (C3 / "jvet-D-bitstreams" / name).read_bytes()
    decoded = coolchic.decode(data, threads=1)
    bits = 8 if "_8b" in name else 10
    assert (decoded.info.width, decoded.info.height, decoded.info.color) == (416, 240, "yuv420")
    assert decoded.info.bitdepth == bits
    y, u, v = decoded.planes.planes
    assert y.shape == (240, 416) and u.shape == v.shape == (120, 208)
