"""Latent grid coding order and range coding of latent grids (spec §5.3). No torch.

Position (r, c) of an h×w grid has wave index ``t = c + r·(N+1)``; symbols are coded by
increasing t, and inside a wave by increasing r. Every context position of (r, c) has a
smaller t, so a whole wave can be predicted at once. When w <= N the waves hold at most one
symbol and this order is plain raster order (what the 3.0 encoder does; the 3.0 reference
decoder mis-places symbols there, spec §11.1: we follow the encoder).

Decoding runs all grids of a frame together: step t gathers the contexts of wave t of every
grid from one zero-padded buffer, evaluates the ARM once for the batch, then makes one
constriction call per grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import constriction
import numpy as np

from coolchic.c3.arm_fixed import (
    FixedPointArm,
    coder_scale_from_index,
    context_offsets,
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


@dataclass
class _Schedule:
    """Joint decoding order of several grids stored in one zero-padded flat buffer.

    Grid g occupies ``(h+N) × (w+2N)`` buffer entries from ``bases[g]``: N zero rows on top,
    N zero columns on each side (enough for every context offset).
    """

    bases: list[int]
    strides: list[int]
    buffer_size: int
    positions: np.ndarray
    """Buffer index of each symbol, in decoding order."""
    grid_of: np.ndarray
    """Grid of each symbol, in decoding order."""
    step_starts: list[int]
    """Symbol index where each non-empty step begins, plus the total at the end."""
    step_segments: list[list[tuple[int, int, int]]]
    """Per step: (grid, first symbol, end symbol) of each grid's wave."""


def _schedule(shapes: list[tuple[int, int]], n: int) -> _Schedule:
    bases, strides = [], []
    waves, positions, grids = [], [], []
    base = 0
    for g, (h, w) in enumerate(shapes):
        stride = w + 2 * n
        rows, cols = np.divmod(np.arange(h * w, dtype=np.int64), w)
        waves.append(cols + rows * (n + 1))
        positions.append(base + (rows + n) * stride + cols + n)
        grids.append(np.full(h * w, g, dtype=np.intp))
        bases.append(base)
        strides.append(stride)
        base += (h + n) * stride
    # Grid-major concatenation + stable sort by t = order by (t, grid, row).
    t_all = np.concatenate(waves)
    order = _stable_argsort(t_all)
    t_sorted = t_all[order]
    grid_of = np.concatenate(grids)[order]
    change_t = t_sorted[1:] != t_sorted[:-1]
    seg_starts = np.flatnonzero(change_t | (grid_of[1:] != grid_of[:-1])) + 1
    step_starts = np.flatnonzero(change_t) + 1
    seg_starts_l = [0, *seg_starts.tolist(), t_all.size]
    seg_grids = grid_of[np.array(seg_starts_l[:-1])].tolist()
    step_starts_l = [0, *step_starts.tolist(), t_all.size]
    first_seg = np.searchsorted(np.array(seg_starts_l), np.array(step_starts_l)).tolist()
    segments = [
        [(seg_grids[k], seg_starts_l[k], seg_starts_l[k + 1]) for k in range(first_seg[s], first_seg[s + 1])]
        for s in range(len(step_starts_l) - 1)
    ]
    return _Schedule(
        bases=bases,
        strides=strides,
        buffer_size=base,
        positions=np.concatenate(positions)[order],
        grid_of=grid_of,
        step_starts=step_starts_l,
        step_segments=segments,
    )


def decode_grids(
    streams: list[bytes | memoryview],
    shapes: list[tuple[int, int]],
    arm: FixedPointArm,
    n_ctx_rowcol: int,
    ac_max: int,
) -> list[np.ndarray]:
    """Decode non-empty latent grids (one stream each) into int32 arrays of the given shapes.

    Raises CorruptDataError on invalid data or unread data left in a stream.
    """
    if not shapes:
        return []
    n = n_ctx_rowcol
    evaluator = arm.evaluator(ac_max + 1)  # decoded symbols lie in [-A, A+1]
    sched = _schedule(shapes, n)
    buffer = np.zeros(sched.buffer_size, dtype=np.float32 if evaluator else np.int64)
    offsets = np.array(
        [[dy * stride + dx for dy, dx in context_offsets(n)] for stride in sched.strides],
        dtype=np.intp,
    )
    decoders = [new_decoder(s) for s in streams]
    family = laplace_family(ac_max)
    positions, grid_of, starts = sched.positions, sched.grid_of, sched.step_starts
    with corrupt_on_coder_failure("latent stream"):
        for step, segments in enumerate(sched.step_segments):
            s0, s1 = starts[step], starts[step + 1]
            pos = positions[s0:s1]
            if len(segments) == 1:
                contexts = buffer[pos[:, None] + offsets[segments[0][0]]]
            else:
                contexts = buffer[pos[:, None] + offsets[grid_of[s0:s1]]]
            if evaluator is not None:
                m, l_index = evaluator(contexts)
                mu = np.multiply(m, 1.0 / 64, dtype=np.float64)
                scale = coder_scale_from_index(l_index)
            else:
                m64, l_out = arm.forward_int(contexts)
                mu, scale = m64 / 64, coder_scale128(l_out) / 128
            if len(segments) == 1:
                buffer[pos] = decoders[segments[0][0]].decode(family, mu, scale)
                continue
            for g, a, b in segments:
                symbols = decoders[g].decode(family, mu[a - s0 : b - s0], scale[a - s0 : b - s0])
                buffer[positions[a:b]] = symbols
    for g, decoder in enumerate(decoders):
        check_exhausted(decoder, f"latent stream {g}")
    grids = []
    for g, (h, w) in enumerate(shapes):
        stride = sched.strides[g]
        block = buffer[sched.bases[g] : sched.bases[g] + (h + n) * stride].reshape(h + n, stride)
        grids.append(block[n:, n : n + w].astype(np.int32))
    return grids


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
