"""Generate ``nn_scale_table.bin``, the 65535-entry NN-scale table of Cool-chic 3.0 (spec §5.4.3).

Run once, by hand (``python -m coolchic.c3.data.make_nn_scale_table``); it needs torch, which
the runtime never imports: ``coolchic.c3.tables`` only reads the shipped file and checks its
SHA-256. The table cannot be recomputed portably without torch (its values depend on torch's
f32 ``linspace`` and ``pow``), hence the shipped data.

File format: zlib-compressed little-endian uint32 sequence; entry j is the difference between
the f32 bit patterns of entries j and j-1 (entry -1 = 0). Cumulative sums give the f32 bits.
"""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import numpy as np

TABLE_PATH = Path(__file__).with_name("nn_scale_table.bin")
TABLE_F32_SHA256 = "c3983965c2fdb62cd2666c953d16e8af30e5766e08e8e6512af55c1cc31095c0"


def compute_table() -> np.ndarray:
    """The table as f32, computed exactly as the 3.0 reference does (torch f32 ops)."""
    import torch

    exponents = torch.linspace(1 / 1024, 16, 65535, dtype=torch.float32)
    values = torch.pow(2, exponents).numpy().copy()
    bits = values.view(np.uint32)
    frac_bits = np.where(values < 512, 9 + np.floor(np.log2(values)).astype(np.int64), 18)
    low_mask = (np.uint32(1) << (23 - frac_bits).astype(np.uint32)) - np.uint32(1)
    return (bits & ~low_mask).view(np.float32)


def encode_table(table: np.ndarray) -> bytes:
    """Delta + zlib encoding of the f32 bit patterns (see module docstring)."""
    bits = table.astype("<f4").view("<u4").astype(np.int64)
    deltas = np.diff(bits, prepend=0).astype("<u4")
    return zlib.compress(deltas.tobytes(), 9)


def main() -> None:
    table = compute_table()
    digest = hashlib.sha256(table.astype("<f4").tobytes()).hexdigest()
    if digest != TABLE_F32_SHA256:
        raise SystemExit(f"table SHA-256 mismatch: {digest} (this torch build differs)")
    TABLE_PATH.write_bytes(encode_table(table))
    print(f"wrote {TABLE_PATH} ({TABLE_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
