"""Latent grid coding order and range coding of latent grids (spec §5.3). No torch.

Position (r, c) of an h×w grid has wave index ``t = c + r·(N+1)``; symbols are coded by
increasing t, and inside a wave by increasing r. Every context position of (r, c) has a
smaller t, so a whole wave can be predicted at once. When w <= N the waves hold at most one
symbol and this order is plain raster order (what the 3.0 encoder does; the 3.0 reference
decoder mis-places symbols there, spec §11.1: we follow the encoder).

Decoding runs all grids of a frame together: step t takes the contexts of wave t of every
grid (strided views of zero-padded grids), evaluates the ARM once for the batch, then makes
one constriction call per grid.
"""

from __future__ import annotations

import constriction
import numpy as np

from coolchic.c3.arm_fixed import (
    FixedPointArm,
    coder_scale_from_index,
)
from coolchic.c3.entropy import (
    check_exhausted,
    corrupt_on_coder_failure,
    encoded_bytes,
    laplace_family,
    new_decoder,
)
from coolchic.c3.tables import coder_scale128


def wave_index(h: int, w: int, n_ctx_rowcol: int) -> np.ndarray:
    """Wave index t of every position of an h×w grid, raster order (int64)."""
    rows, cols = np.divmod(np.arange(h * w, dtype=np.int64), w)
    return cols + rows * (n_ctx_rowcol + 1)


def _stable_argsort(keys: np.ndarray) -> np.ndarray:
    """Stable argsort; small keys are cast to uint16 so numpy uses its radix sort."""
    if keys.size and keys.max() < 2**16:
        keys = keys.astype(np.uint16)
    return np.argsort(keys, kind="stable")


def wave_order(h: int, w: int, n_ctx_rowcol: int) -> np.ndarray:
    """Raster indices of the positions of an h×w grid in coding order."""
    return _stable_argsort(wave_index(h, w, n_ctx_rowcol))


def _wave_segments(shapes: list[tuple[int, int]], n: int) -> list[list[tuple[int, int, int]]]:
    """Per decoding step t: (grid, q0, count) of wave t of every grid where it is non-empty.

    Wave t of an h×w grid is the run of positions (r, t - r·(N+1)) for r in
    [ceil((t-w+1)/(N+1)), floor(t/(N+1))] ∩ [0, h-1]; in a grid stored with row stride
    w + 2N it is an arithmetic progression starting at q0 = r·stride + c of its first member,
    with step stride - (N+1).
    """
    rows = []
    for g, (h, w) in enumerate(shapes):
        t = np.arange(w + (h - 1) * (n + 1), dtype=np.int64)
        r_start = np.maximum(0, -((w - 1 - t) // (n + 1)))
        count = np.minimum(h - 1, t // (n + 1)) - r_start + 1
        q0 = r_start * (w + 2 * n) + t - r_start * (n + 1)
        keep = count > 0
        rows.append(np.stack([t[keep], np.full(keep.sum(), g), q0[keep], count[keep]], axis=1))
    table = np.concatenate(rows)
    table = table[np.argsort(table[:, 0], kind="stable")]  # by t, then by grid
    steps: list[list[tuple[int, int, int]]] = []
    last_t = -1
    for t, g, q0, count in table.tolist():
        if t != last_t:
            steps.append([])
            last_t = t
        steps[-1].append((g, q0, count))
    return steps


def _windows(block: np.ndarray, n: int) -> np.ndarray:
    """Read-only view ``[q, N+1, 2N+1]``: the top N+1 rows of the (2N+1)-wide window of the
    position q = r·stride + c of a padded grid block. Its first n_ctx entries, in raster
    order, are the context of (r, c) (spec §3.2); the others are (r, c) and its right side."""
    rows, stride = block.shape
    h, w = rows - n, stride - 2 * n
    item = block.itemsize
    return np.lib.stride_tricks.as_strided(
        block, shape=((h - 1) * stride + w, n + 1, 2 * n + 1),
        strides=(item, stride * item, item), writeable=False,
    )


def decode_grids(
    streams: list[bytes | memoryview],
    shapes: list[tuple[int, int]],
    arm: FixedPointArm,
    n_ctx_rowcol: int,
    ac_max: int,
) -> list[np.ndarray]:
    """Decode non-empty latent grids (one stream each) into int32 arrays of the given shapes.

    All grids advance together, one wave per step (see the module docstring). Each grid
    lives in a zero-padded block (N rows on top, N columns on each side), so the contexts of
    a wave are a strided view of its block. Raises CorruptDataError on invalid data or unread
    data left in a stream.
    """
    if not shapes:
        return []
    n = n_ctx_rowcol
    n_ctx = arm.n_ctx
    evaluator = arm.evaluator(ac_max + 1)  # decoded symbols lie in [-A, A+1]
    dtype = np.float32 if evaluator else np.int64
    blocks = [np.zeros((h + n, w + 2 * n), dtype=dtype) for h, w in shapes]
    windows = [_windows(block, n) for block in blocks]
    targets = [block.reshape(-1)[n * (w + 2 * n) + n :] for block, (_, w) in zip(blocks, shapes)]
    steps = [w + n - 1 for _, w in shapes]  # stride - (N+1): next member of a wave
    decoders = [new_decoder(s) for s in streams]
    family = laplace_family(ac_max)
    with corrupt_on_coder_failure("latent stream"):
        for segments in _wave_segments(shapes, n):
            if len(segments) == 1:
                g, q0, count = segments[0]
                window = windows[g][q0 : q0 + count * steps[g] : steps[g]]
            else:
                window = np.concatenate(
                    [windows[g][q0 : q0 + count * steps[g] : steps[g]] for g, q0, count in segments]
                )
            contexts = window.reshape(len(window), -1)[:, :n_ctx]
            if evaluator is not None:
                m, l_index = evaluator(contexts)
                mu = np.multiply(m, 1.0 / 64, dtype=np.float64)
                scale = coder_scale_from_index(l_index)
            else:
                m64, l_out = arm.forward_int(contexts)
                mu, scale = m64 / 64, coder_scale128(l_out) / 128
            start = 0
            for g, q0, count in segments:
                end = start + count
                symbols = decoders[g].decode(family, mu[start:end], scale[start:end])
                targets[g][q0 : q0 + count * steps[g] : steps[g]] = symbols
                start = end
    for g, decoder in enumerate(decoders):
        check_exhausted(decoder, f"latent stream {g}")
    return [block[n:, n : n + w].astype(np.int32) for block, (_, w) in zip(blocks, shapes)]


def encode_grid(
    grid: np.ndarray,
    arm: FixedPointArm,
    n_ctx_rowcol: int,
    ac_max: int,
    *,
    allow_zero_scale: bool = False,
) -> bytes:
    """Range-code one non-zero 2-D grid in wavefront order; returns the sealed stream.

    Raises ValueError if a symbol gets coder scale 0 and ``allow_zero_scale`` is false.
    """
    h, w = grid.shape
    mu64, scale128 = arm.predict_grid(grid, n_ctx_rowcol)
    if not allow_zero_scale and not scale128.all():
        raise ValueError("latents: the ARM predicts coder scale 0 for some latent")
    order = wave_order(h, w, n_ctx_rowcol)
    encoder = constriction.stream.queue.RangeEncoder()
    encoder.encode(
        np.ascontiguousarray(grid.reshape(-1)[order], dtype=np.int32),
        laplace_family(ac_max),
        mu64[order] / 64,
        scale128[order] / 128,
    )
    return encoded_bytes(encoder)
