"""The resumable sweep: every (codec, image, setting) point, encoded, decoded and measured.

Each finished point is written at once to ``<outdir>/cache/<codec>/<image>/`` as a small JSON
file whose name holds a hash of everything that determines the result (codec options,
setting, exact pixels). A rerun loads those files instead of recomputing; changing the crop,
the budget or a codec option changes the hash and so recomputes only what changed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from coolchic.evaluation.codecs import Codec
from coolchic.evaluation.images import BenchImage
from coolchic.evaluation.metrics import bits_per_pixel, psnr_rgb


@dataclass(frozen=True)
class Point:
    """One measured rate–distortion point."""

    codec: str
    image: str
    param: str
    setting: float
    width: int
    height: int
    n_bytes: int
    bpp: float
    psnr_rgb: float
    encode_s: float
    decode_s: float


ProgressCallback = Callable[[int, int, Point, bool], None]
"""Called after each point as ``(done, total, point, from_cache)``."""


def format_setting(value: float) -> str:
    """Compact text of a setting: ``50`` for a quality, ``0.0004`` for a λ."""
    return f"{value:g}"


def point_key(codec: Codec, image: BenchImage, setting: float) -> str:
    """Hash of everything that determines a point's result."""
    spec = {
        "codec": codec.name,
        "options": codec.point_options(setting),
        "setting": float(setting),  # 92 and 92.0 are one point (load gets ints, store floats)
        "image": image.digest(),
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def measure(codec: Codec, image: BenchImage, setting: float) -> tuple[Point, bytes]:
    """Encode and decode ``image`` once; return the point and the encoded file."""
    start = time.perf_counter()
    data = codec.encode(image.pixels, setting)
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    decoded = codec.decode(data)
    decode_s = time.perf_counter() - start
    point = Point(
        codec=codec.name,
        image=image.name,
        param=codec.param,
        setting=float(setting),
        width=image.width,
        height=image.height,
        n_bytes=len(data),
        bpp=bits_per_pixel(len(data), image.height, image.width),
        psnr_rgb=psnr_rgb(image.pixels, decoded),
        encode_s=encode_s,
        decode_s=decode_s,
    )
    return point, data


class PointCache:
    """The per-point JSON files under ``<outdir>/cache``."""

    def __init__(self, outdir: Path) -> None:
        self.root = outdir / "cache"

    def path(self, codec: Codec, image: BenchImage, setting: float) -> Path:
        key = point_key(codec, image, setting)
        name = f"{codec.param}{format_setting(setting)}-{key}.json"
        return self.root / codec.name / image.name / name

    def load(self, codec: Codec, image: BenchImage, setting: float) -> Point | None:
        path = self.path(codec, image, setting)
        if not path.exists():
            return None
        return Point(**json.loads(path.read_text()))

    def store(self, codec: Codec, image: BenchImage, point: Point) -> None:
        path = self.path(codec, image, point.setting)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(point), indent=1))
        tmp.replace(path)


def run_sweep(
    codecs: list[Codec],
    settings: dict[str, tuple[float, ...]],
    images: list[BenchImage],
    outdir: Path,
    progress: ProgressCallback | None = None,
) -> list[Point]:
    """Measure every (codec, image, setting), reusing cached points; return them all.

    Codecs with ``keep_streams`` also get their encoded files written to
    ``<outdir>/streams/<codec>/<image>-<param><setting><suffix>``.
    """
    cache = PointCache(outdir)
    jobs = [(c, im, s) for c in codecs for im in images for s in settings[c.name]]
    points = []
    for done, (codec, image, setting) in enumerate(jobs, start=1):
        point = cache.load(codec, image, setting)
        from_cache = point is not None
        if point is None:
            point, data = measure(codec, image, setting)
            if codec.keep_streams:
                stream_dir = outdir / "streams" / codec.name
                stream_dir.mkdir(parents=True, exist_ok=True)
                stem = f"{image.name}-{codec.param}{format_setting(setting)}"
                (stream_dir / f"{stem}{codec.suffix}").write_bytes(data)
            cache.store(codec, image, point)
        points.append(point)
        if progress is not None:
            progress(done, len(jobs), point, from_cache)
    return points
