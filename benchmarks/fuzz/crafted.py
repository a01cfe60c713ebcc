"""Hand-made hostile files for the regression corpus: each hits one limit or check.

``python -m benchmarks.fuzz.crafted tests/corpus`` (re)writes them as
``<what>--<error decode() raises>.cool``.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

from coolchic.c3.frame import Architecture, SynthesisLayer
from coolchic.c3.header import PayloadHeader, encode_header
from coolchic.container import TAG_ALPHA, ContainerHeader, read_container, write_container

from .seeds import synthetic_seeds


def _payload(width: int, height: int, arch: Architecture, frame_type: str = "rgb") -> bytes:
    """A payload whose header is valid and whose streams are zero bytes (never reached)."""
    n_grids = sum(max(c, 1) for c in arch.n_ft_per_res)
    header = PayloadHeader(
        height=height, width=width, frame_type=frame_type, bitdepth=8, architecture=arch,  # type: ignore[arg-type]
        ac_max_nn=10, ac_max_latent=10, q_indices=(0, 0, 8, None, 9, 7),
        nn_scale_indices=(0, 0, 0, None, 0, 0), nn_stream_bytes=(4, 4, 4, 0, 4, 4),
        latent_stream_bytes=(4,) * n_grids,
    )
    return encode_header(header) + bytes(5 * 4 + 4 * n_grids)


def _arch(synthesis: tuple[SynthesisLayer, ...], n_ctx: int = 3, arm: tuple[int, ...] = (24, 24)) -> Architecture:
    return Architecture(n_ctx, arm, 8, synthesis, (1, 1, 1))


def _fix_crc(data: bytes) -> bytes:
    return data[:-4] + struct.pack(">I", zlib.crc32(data[:-4]))


def crafted() -> dict[str, bytes]:
    """``{file name: bytes}`` of the crafted corpus."""
    seed = synthetic_seeds()["rgb8.cool"]
    small = (SynthesisLayer(8, 1, False, "relu"), SynthesisLayer(3, 3, False, "none"))
    costly = (SynthesisLayer(255, 17, False, "relu"), SynthesisLayer(3, 1, False, "none"))  # 3*255*289 + 255*3 MACs
    wide = (SynthesisLayer(40, 1, False, "relu"), SynthesisLayer(3, 3, False, "none"))
    newer = bytearray(seed)
    newer[9] = 2
    crc = bytearray(seed)
    crc[len(seed) // 2] ^= 0x10
    width, height = struct.unpack(">II", seed[13:21])
    bomb_alpha = bytes([0]) + zlib.compress(bytes(8 << 20), 9)  # 8 MiB of zeros for a tiny image
    body = seed[30:-4]
    return {
        "newer-container-version--UnsupportedError.cool": _fix_crc(bytes(newer)),
        "crc-mismatch--CorruptDataError.cool": bytes(crc),
        "bomb-65535x65535--ImageTooLargeError.cool": write_container(b"\0" * 64, ContainerHeader(65535, 65535, "rgb", 8)),
        "chunk-length-4GiB--TruncatedDataError.cool": _fix_crc(seed[:28] + b"\0\1" + b"iccp\xff\xff\xff\xf0" + body + b"\0" * 4),
        "synthesis-221k-macs-per-pixel--UnsupportedError.cool": write_container(
            _payload(16, 16, _arch(costly)), ContainerHeader(16, 16, "rgb", 8)),
        "arm-214k-macs-per-latent--UnsupportedError.cool": write_container(
            _payload(16, 16, _arch(small, n_ctx=20, arm=(255,))), ContainerHeader(16, 16, "rgb", 8)),
        "synthesis-tensors-9000x9000--ImageTooLargeError.cool": write_container(
            _payload(9000, 9000, _arch(wide)), ContainerHeader(9000, 9000, "rgb", 8)),
        "alpha-inflates-8MiB--ok.cool": write_container(
            read_container(seed)[2], ContainerHeader(width, height, "rgb", 8), {TAG_ALPHA: bomb_alpha}),
    }


def main(folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in crafted().items():
        (out / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
