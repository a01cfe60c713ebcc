"""Read and write a whole Cool-chic 3.0 frame payload (the official ``.bin`` layout). No torch.

Layout (spec §6): GOP header ‖ frame header ‖ NN streams (arm.w, arm.b, ups.w, syn.w, syn.b)
‖ one latent stream per 2-D grid. See docs/bitstream-3.0.md for our choices on the quirks.
"""

from __future__ import annotations

import numpy as np

from coolchic.c3.arm_fixed import FixedPointArm
from coolchic.c3.frame import (
    ARM_Q_STEPS,
    NN_Q_STEPS,
    Architecture,
    Frame,
    QuantizedParams,
    arm_param_shapes,
    latent_sizes,
    synthesis_param_shapes,
    upsampling_param_shapes,
)
from coolchic.c3.header import (
    MAX_U16,
    NN_ENTRY_NAMES,
    UPSAMPLING_BIAS,
    PayloadHeader,
    encode_header,
    latent_grid_shapes,
    parse_header,
)
from coolchic.c3.limits import check_decoder_limits
from coolchic.c3.nn_streams import decode_nn_stream, encode_nn_stream
from coolchic.c3.wavefront import decode_grids, encode_grid
from coolchic.errors import ImageTooLargeError

MAX_LATENT_VALUES = 2**28
"""Sanity limit on the number of latent values of one frame (1 GiB of int32)."""
MAX_SYMBOL = MAX_U16 - 2
"""Largest |symbol| the format can carry (A = max|symbol| + 2 is stored in 2 bytes)."""


def parse_payload_header(data: bytes | bytearray | memoryview) -> PayloadHeader:
    """Parse the headers of a 3.0 payload; the section lengths must sum to ``len(data)``."""
    return parse_header(data)


def _param_counts(arch: Architecture) -> list[int]:
    """Number of symbols of each of the six NN entries (0 for the absent upsampling bias)."""
    counts = []
    for shapes in (arm_param_shapes(arch), upsampling_param_shapes(arch), synthesis_param_shapes(arch)):
        for kind in ("weight", "bias"):
            counts.append(sum(int(np.prod(s)) for name, s in shapes if name.endswith(kind)))
    return counts


def _latent_count(header: PayloadHeader) -> int:
    arch = header.architecture
    sizes = latent_sizes(header.height, header.width, len(arch.n_ft_per_res))
    return sum(c * h * w for c, (h, w) in zip(arch.n_ft_per_res, sizes))


def read_payload(data: bytes | bytearray | memoryview, *, max_pixels: int | None = None) -> Frame:
    """Parse and entropy-decode a 3.0 frame payload.

    Raises CoolchicError subclasses on bad data, ImageTooLargeError if H·W > max_pixels or the
    latents exceed :data:`MAX_LATENT_VALUES`, and the errors of
    :func:`coolchic.c3.limits.check_decoder_limits` (its size limit only when ``max_pixels`` is set).
    """
    view = memoryview(data).cast("B")
    header = parse_header(view)
    arch = header.architecture
    n_pixels = header.height * header.width
    if max_pixels is not None and n_pixels > max_pixels:
        raise ImageTooLargeError(f"image has {n_pixels} pixels, more than max_pixels={max_pixels}")
    if _latent_count(header) > MAX_LATENT_VALUES:
        raise ImageTooLargeError(f"more than {MAX_LATENT_VALUES} latent values")
    check_decoder_limits(header, size_limits=max_pixels is not None)

    offset = header.header_bytes
    symbols: list[np.ndarray | None] = []
    for i, (count, size) in enumerate(zip(_param_counts(arch), header.nn_stream_bytes)):
        if i == UPSAMPLING_BIAS:
            symbols.append(None)
            continue
        scale_index = header.nn_scale_indices[i]
        assert scale_index is not None
        stream = view[offset : offset + size]
        symbols.append(decode_nn_stream(stream, count, scale_index, header.ac_max_nn, NN_ENTRY_NAMES[i]))
        offset += size
    q = header.q_indices
    arm = QuantizedParams(symbols[0], q[0], symbols[1], q[1])  # type: ignore[arg-type]
    upsampling = QuantizedParams(symbols[2], q[2])  # type: ignore[arg-type]
    synthesis = QuantizedParams(symbols[4], q[4], symbols[5], q[5])  # type: ignore[arg-type]

    grid_shapes = latent_grid_shapes(header)
    streams, shapes, coded = [], [], []
    for g, ((_, h, w), size) in enumerate(zip(grid_shapes, header.latent_stream_bytes)):
        if size:
            streams.append(view[offset : offset + size])
            shapes.append((h, w))
            coded.append(g)
        offset += size
    decoded = decode_grids(streams, shapes, FixedPointArm(arch, arm), arch.n_ctx_rowcol, header.ac_max_latent) if streams else []
    grids: dict[int, np.ndarray] = dict(zip(coded, decoded))

    latents = []
    sizes = latent_sizes(header.height, header.width, len(arch.n_ft_per_res))
    g = 0
    for c, (h, w) in zip(arch.n_ft_per_res, sizes):
        res = np.zeros((c, h, w), dtype=np.int32)
        for ch in range(c):
            if g + ch in grids:
                res[ch] = grids[g + ch]
        g += max(c, 1)
        latents.append(res)
    return Frame(
        height=header.height,
        width=header.width,
        frame_type=header.frame_type,
        bitdepth=header.bitdepth,
        architecture=arch,
        arm=arm,
        upsampling=upsampling,
        synthesis=synthesis,
        latents=latents,
    )


def _max_abs(arrays: list[np.ndarray], what: str) -> int:
    biggest = 0
    for a in arrays:
        if not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{what} must be integer arrays")
        if a.size:
            biggest = max(biggest, int(np.abs(a.astype(np.int64)).max()))
    if biggest > MAX_SYMBOL:
        raise ValueError(f"{what}: |symbol| = {biggest} exceeds the 3.0 limit {MAX_SYMBOL}")
    return biggest


def _check_frame(frame: Frame) -> list[np.ndarray]:
    """Validate what the header cannot check itself; returns the six NN symbol arrays."""
    arch = frame.architecture
    if frame.upsampling.bias_symbols is not None:
        raise ValueError("upsampling: Cool-chic 3.0 has no upsampling bias")
    entries = [
        (frame.arm.weight_symbols, frame.arm.weight_q_index, ARM_Q_STEPS),
        (frame.arm.bias_symbols, frame.arm.bias_q_index, ARM_Q_STEPS),
        (frame.upsampling.weight_symbols, frame.upsampling.weight_q_index, NN_Q_STEPS),
        (None, None, NN_Q_STEPS),
        (frame.synthesis.weight_symbols, frame.synthesis.weight_q_index, NN_Q_STEPS),
        (frame.synthesis.bias_symbols, frame.synthesis.bias_q_index, NN_Q_STEPS),
    ]
    arrays = []
    for name, count, (symbols, q_index, steps) in zip(NN_ENTRY_NAMES, _param_counts(arch), entries):
        if symbols is None:
            if name != NN_ENTRY_NAMES[UPSAMPLING_BIAS]:
                raise ValueError(f"{name}: missing symbols")
            continue
        symbols = np.asarray(symbols)
        if symbols.ndim != 1 or symbols.size != count:
            raise ValueError(f"{name}: expected {count} symbols, got shape {symbols.shape}")
        if q_index is None or not 0 <= q_index < len(steps):
            raise ValueError(f"{name}: invalid q-step index {q_index}")
        arrays.append(symbols)
    sizes = latent_sizes(frame.height, frame.width, len(arch.n_ft_per_res))
    if len(frame.latents) != len(sizes):
        raise ValueError(f"latents: expected {len(sizes)} resolutions, got {len(frame.latents)}")
    for i, (c, (h, w), lat) in enumerate(zip(arch.n_ft_per_res, sizes, frame.latents)):
        if np.shape(lat) != (c, h, w):
            raise ValueError(f"latents[{i}]: expected shape {(c, h, w)}, got {np.shape(lat)}")
    return arrays


def write_payload(frame: Frame, *, allow_zero_scale: bool = False) -> bytes:
    """Serialise ``frame`` in the exact 3.0 syntax (inverse of :func:`read_payload`).

    Raises ValueError for frames the format cannot carry (sizes, symbol magnitudes, stream
    lengths) and, unless ``allow_zero_scale``, for a latent the ARM gives coder scale 0 (such
    streams need constriction < 0.3.3 to decode; official streams contain them).
    """
    arch = frame.architecture
    if not (1 <= frame.height <= MAX_U16 and 1 <= frame.width <= MAX_U16):
        raise ValueError(f"image size {frame.width}x{frame.height} outside 1..{MAX_U16}")
    nn_arrays = _check_frame(frame)
    ac_max_nn = _max_abs(nn_arrays, "NN parameters") + 2
    latents = [np.asarray(lat) for lat in frame.latents]
    ac_max_latent = _max_abs(latents, "latents") + 2

    nn_streams, scale_indices = [], []
    arrays = iter(nn_arrays)
    for i in range(len(NN_ENTRY_NAMES)):
        if i == UPSAMPLING_BIAS:
            nn_streams.append(b"")
            scale_indices.append(None)
            continue
        index, stream = encode_nn_stream(next(arrays), ac_max_nn)
        nn_streams.append(stream)
        scale_indices.append(index)

    arm = FixedPointArm(arch, frame.arm)
    latent_streams = []
    for c, lat in zip(arch.n_ft_per_res, latents):
        if c == 0:
            latent_streams.append(b"")
        for grid in lat:
            if not grid.any():
                latent_streams.append(b"")
            else:
                latent_streams.append(
                    encode_grid(grid, arm, arch.n_ctx_rowcol, ac_max_latent, allow_zero_scale=allow_zero_scale)
                )

    q = [frame.arm.weight_q_index, frame.arm.bias_q_index, frame.upsampling.weight_q_index, None,
         frame.synthesis.weight_q_index, frame.synthesis.bias_q_index]
    header = PayloadHeader(
        height=frame.height,
        width=frame.width,
        frame_type=frame.frame_type,
        bitdepth=frame.bitdepth,
        architecture=arch,
        ac_max_nn=ac_max_nn,
        ac_max_latent=ac_max_latent,
        q_indices=tuple(q),
        nn_scale_indices=tuple(scale_indices),
        nn_stream_bytes=tuple(len(s) for s in nn_streams),
        latent_stream_bytes=tuple(len(s) for s in latent_streams),
    )
    return encode_header(header) + b"".join(nn_streams) + b"".join(latent_streams)
