"""Header parsing: ``PIL.Image.open`` of a ``.cool`` file (no pixel decoding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


def _open_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        return im.size


@pytest.mark.benchmark(group="header")
def test_image_open_cool_header(benchmark, cool_file: Path) -> None:
    import coolchic_pillow  # noqa: F401  (registers the COOL format)

    assert benchmark(_open_size, cool_file) == (768, 512)
