"""GOP header and frame header of a Cool-chic 3.0 payload (spec §6.1, §6.2). No torch.

All integers are big-endian unsigned. Parsing validates every field against the format and
against the data length; writing validates against the format limits (``ValueError``).
"""

from __future__ import annotations

from dataclasses import dataclass

from coolchic.c3.frame import (
    ARM_Q_STEPS,
    NN_Q_STEPS,
    Architecture,
    FrameType,
    SynthesisLayer,
    latent_sizes,
)
from coolchic.c3.tables import NN_SCALE_TABLE_SIZE
from coolchic.errors import CorruptDataError, TruncatedDataError, UnsupportedError

GOP_HEADER_SIZE = 9
NN_ENTRY_NAMES = (
    "arm.weight",
    "arm.bias",
    "upsampling.weight",
    "upsampling.bias",
    "synthesis.weight",
    "synthesis.bias",
)
"""The six NN entries of the frame header, in stream order (spec §6.2)."""
ABSENT_Q_INDEX = 255
UPSAMPLING_BIAS = 3
"""Index of the only NN entry that is always absent (the upsampling has no bias)."""
MAX_U16 = 65535
NONLINEARITIES = ("none", "relu", "leakyrelu", "gelu")
_FRAME_TYPE_CODES: dict[str, int] = {"rgb": 0, "yuv420": 1}
_BITDEPTH_CODES = {8: 0, 10: 1}


@dataclass(frozen=True)
class PayloadHeader:
    """Everything the GOP and frame headers of a 3.0 payload say.

    ``q_indices`` / ``nn_scale_indices`` / ``nn_stream_bytes`` have one entry per
    :data:`NN_ENTRY_NAMES` item; the absent upsampling bias has ``None`` / ``None`` / 0.
    ``latent_stream_bytes`` has one entry per 2-D latent grid (a resolution with 0 channels
    has one 0-byte entry).
    """

    height: int
    width: int
    frame_type: FrameType
    bitdepth: int
    architecture: Architecture
    ac_max_nn: int
    ac_max_latent: int
    q_indices: tuple[int | None, ...]
    nn_scale_indices: tuple[int | None, ...]
    nn_stream_bytes: tuple[int, ...]
    latent_stream_bytes: tuple[int, ...]

    @property
    def header_bytes(self) -> int:
        """Size of the GOP header plus the frame header."""
        arch = self.architecture
        n_present = sum(q is not None for q in self.q_indices)
        return (
            GOP_HEADER_SIZE
            + 20
            + 3 * len(arch.synthesis)
            + 4 * n_present
            + len(arch.n_ft_per_res)
            + 3 * len(self.latent_stream_bytes)
        )

    @property
    def nn_bytes(self) -> int:
        """Total size of the NN streams."""
        return sum(self.nn_stream_bytes)

    @property
    def latent_bytes(self) -> int:
        """Total size of the latent streams."""
        return sum(self.latent_stream_bytes)

    @property
    def latent_bytes_per_resolution(self) -> tuple[int, ...]:
        """Latent stream bytes of each resolution, finest first (its channels' grids summed)."""
        sizes = [0] * len(self.architecture.n_ft_per_res)
        for (resolution, _, _), size in zip(latent_grid_shapes(self), self.latent_stream_bytes):
            sizes[resolution] += size
        return tuple(sizes)

    @property
    def total_bytes(self) -> int:
        """Size of the whole payload: headers + NN streams + latent streams."""
        return self.header_bytes + self.nn_bytes + self.latent_bytes


class _Reader:
    """Big-endian cursor over bytes that raises TruncatedDataError past the end."""

    def __init__(self, data: memoryview, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def take(self, size: int) -> int:
        end = self.pos + size
        if end > len(self.data):
            raise TruncatedDataError("Cool-chic 3.0 header is truncated")
        value = int.from_bytes(self.data[self.pos : end], "big")
        self.pos = end
        return value


def parse_header(data: bytes | bytearray | memoryview) -> PayloadHeader:
    """Parse and validate the GOP + frame headers; the section lengths must sum to len(data)."""
    view = memoryview(data).cast("B")
    rd = _Reader(view)
    if rd.take(2) != GOP_HEADER_SIZE:
        raise CorruptDataError("GOP header size is not 9: not a Cool-chic 3.0 image payload")
    height, width = rd.take(2), rd.take(2)
    packed, intra_period, p_period = rd.take(1), rd.take(1), rd.take(1)
    frame_type, bitdepth = _parse_format_byte(packed)
    if intra_period or p_period:
        raise UnsupportedError("Cool-chic 3.0 video payloads are not supported (intra/P period)")
    if height == 0 or width == 0:
        raise CorruptDataError(f"invalid image size {width}x{height}")

    frame_header_size = rd.take(2)
    if GOP_HEADER_SIZE + frame_header_size > len(view):
        raise TruncatedDataError("Cool-chic 3.0 frame header is truncated")
    if rd.take(1) != 0:
        raise UnsupportedError("display index != 0: not a single image")
    n_ctx_rowcol, n_arm_layers, arm_width = rd.take(1), rd.take(1), rd.take(1)
    kernel_size, n_syn = rd.take(1), rd.take(1)
    synthesis = tuple(_parse_synthesis_layer(rd) for _ in range(n_syn))
    ac_max_nn, ac_max_latent = rd.take(2), rd.take(2)
    q_raw = [rd.take(1) for _ in NN_ENTRY_NAMES]
    q_indices = _check_q_indices(q_raw)
    present = [i for i, q in enumerate(q_indices) if q is not None]
    scales: list[int | None] = [None] * len(NN_ENTRY_NAMES)
    for i in present:
        scales[i] = rd.take(2)
        if scales[i] >= NN_SCALE_TABLE_SIZE:
            raise CorruptDataError(f"NN-scale index {scales[i]} out of range")
    nn_bytes = [0] * len(NN_ENTRY_NAMES)
    for i in present:
        nn_bytes[i] = rd.take(2)
    n_res, n_grids = rd.take(1), rd.take(1)
    n_ft_per_res = tuple(rd.take(1) for _ in range(n_res))
    if n_grids != sum(max(c, 1) for c in n_ft_per_res):
        raise CorruptDataError("number of latent grids does not match features per resolution")
    latent_bytes = tuple(rd.take(3) for _ in range(n_grids))
    if rd.pos != GOP_HEADER_SIZE + frame_header_size:
        raise CorruptDataError("frame header size does not match its content")

    arch = Architecture(
        n_ctx_rowcol=n_ctx_rowcol,
        layers_arm=_arm_layers(n_arm_layers, arm_width),
        upsampling_kernel_size=kernel_size,
        synthesis=synthesis,
        n_ft_per_res=n_ft_per_res,
    )
    _check_architecture(arch, frame_type)
    header = PayloadHeader(
        height=height,
        width=width,
        frame_type=frame_type,
        bitdepth=bitdepth,
        architecture=arch,
        ac_max_nn=ac_max_nn,
        ac_max_latent=ac_max_latent,
        q_indices=q_indices,
        nn_scale_indices=tuple(scales),
        nn_stream_bytes=tuple(nn_bytes),
        latent_stream_bytes=latent_bytes,
    )
    _check_stream_lengths(header, len(view))
    return header


def _parse_format_byte(packed: int) -> tuple[FrameType, int]:
    bitdepth_idx, frame_type_idx, gop_type_idx = packed >> 5, (packed >> 2) & 7, packed & 3
    if gop_type_idx != 0:
        raise UnsupportedError("only the RA GOP type of a single image is supported")
    bitdepths = {v: k for k, v in _BITDEPTH_CODES.items()}
    if bitdepth_idx not in bitdepths:
        raise CorruptDataError(f"invalid bit-depth code {bitdepth_idx}")
    if frame_type_idx == 2:
        raise UnsupportedError("yuv444 frames are not supported by Cool-chic 3.0 images")
    frame_types = {v: k for k, v in _FRAME_TYPE_CODES.items()}
    if frame_type_idx not in frame_types:
        raise CorruptDataError(f"invalid frame type code {frame_type_idx}")
    return frame_types[frame_type_idx], bitdepths[bitdepth_idx]  # type: ignore[return-value]


def _parse_synthesis_layer(rd: _Reader) -> SynthesisLayer:
    out_channels, kernel_size, code = rd.take(1), rd.take(1), rd.take(1)
    layer_type, nonlin = code >> 4, code & 15
    if layer_type > 1 or nonlin >= len(NONLINEARITIES):
        raise CorruptDataError(f"invalid synthesis layer type byte 0x{code:02x}")
    return SynthesisLayer(
        out_channels=out_channels,
        kernel_size=kernel_size,
        residual=layer_type == 1,
        nonlinearity=NONLINEARITIES[nonlin],  # type: ignore[arg-type]
    )


def _check_q_indices(q_raw: list[int]) -> tuple[int | None, ...]:
    q_indices: list[int | None] = []
    for i, q in enumerate(q_raw):
        if i == UPSAMPLING_BIAS:
            if q != ABSENT_Q_INDEX:
                raise UnsupportedError("an upsampling bias is not supported")
            q_indices.append(None)
            continue
        n_steps = len(ARM_Q_STEPS) if i < 2 else len(NN_Q_STEPS)
        if q >= n_steps:
            raise CorruptDataError(f"invalid q-step index {q} for {NN_ENTRY_NAMES[i]}")
        q_indices.append(q)
    return tuple(q_indices)


def _arm_layers(n_layers: int, width: int) -> tuple[int, ...]:
    if (n_layers == 0) != (width == 0):
        raise CorruptDataError("ARM hidden width must be 0 exactly when there is no hidden layer")
    return (width,) * n_layers


def _check_architecture(arch: Architecture, frame_type: FrameType) -> None:
    """Reject architectures the decoder cannot run (raises UnsupportedError/CorruptDataError)."""
    if arch.n_ctx_rowcol == 0:
        raise UnsupportedError("an ARM without context (n_ctx_rowcol = 0) is not supported")
    k = arch.upsampling_kernel_size
    if k == 0 or k % 2:
        raise UnsupportedError(f"upsampling kernel size {k} is not a positive even number")
    if not arch.synthesis:
        raise CorruptDataError("the synthesis has no layer")
    if not arch.n_ft_per_res or arch.n_latent_channels == 0:
        raise CorruptDataError("there is no latent channel")
    c_in = arch.n_latent_channels
    for layer in arch.synthesis:
        if layer.out_channels == 0 or layer.kernel_size % 2 == 0:
            raise UnsupportedError("synthesis layers need >= 1 output and an odd kernel size")
        if layer.residual and layer.out_channels != c_in:
            raise CorruptDataError("residual synthesis layer with in != out channels")
        c_in = layer.out_channels
    allowed = (1, 3) if frame_type == "rgb" else (3,)
    if arch.out_channels not in allowed:
        raise UnsupportedError(f"synthesis outputs {arch.out_channels} channels for {frame_type}")


def _check_stream_lengths(header: PayloadHeader, data_len: int) -> None:
    for name, n in zip(NN_ENTRY_NAMES, header.nn_stream_bytes):
        if n % 4:
            raise CorruptDataError(f"{name} stream length {n} is not a multiple of 4")
    grid = 0
    for c in header.architecture.n_ft_per_res:
        for _ in range(max(c, 1)):
            n = header.latent_stream_bytes[grid]
            if n % 4 or (c == 0 and n):
                raise CorruptDataError(f"invalid length {n} of latent stream {grid}")
            grid += 1
    total = header.total_bytes
    if total > data_len:
        raise TruncatedDataError(f"payload declares {total} bytes but has {data_len}")
    if total < data_len:
        raise CorruptDataError(f"{data_len - total} bytes after the end of the payload")


def encode_header(header: PayloadHeader) -> bytes:
    """Serialise ``header`` (GOP + frame header). Raises ValueError on out-of-format values."""
    arch = header.architecture
    out = bytearray()

    def put(value: int, size: int, what: str) -> None:
        if not 0 <= value < 256**size:
            raise ValueError(f"{what} = {value} does not fit in {size} byte(s)")
        out.extend(value.to_bytes(size, "big"))

    if header.frame_type not in _FRAME_TYPE_CODES:
        raise ValueError(f"frame_type must be one of {sorted(_FRAME_TYPE_CODES)}")
    if header.bitdepth not in _BITDEPTH_CODES:
        raise ValueError(f"bitdepth must be one of {sorted(_BITDEPTH_CODES)}")
    if len(set(arch.layers_arm)) > 1:
        raise ValueError("layers_arm: all ARM hidden layers must have the same width in 3.0")
    put(GOP_HEADER_SIZE, 2, "GOP header size")
    put(header.height, 2, "height")
    put(header.width, 2, "width")
    put(_BITDEPTH_CODES[header.bitdepth] * 32 + _FRAME_TYPE_CODES[header.frame_type] * 4, 1, "format byte")
    put(0, 1, "intra period")
    put(0, 1, "P period")
    put(header.header_bytes - GOP_HEADER_SIZE, 2, "frame header size")
    put(0, 1, "display index")
    put(arch.n_ctx_rowcol, 1, "n_ctx_rowcol")
    put(len(arch.layers_arm), 1, "number of ARM layers")
    put(arch.layers_arm[0] if arch.layers_arm else 0, 1, "ARM width")
    put(arch.upsampling_kernel_size, 1, "upsampling kernel size")
    put(len(arch.synthesis), 1, "number of synthesis layers")
    for layer in arch.synthesis:
        put(layer.out_channels, 1, "synthesis out channels")
        put(layer.kernel_size, 1, "synthesis kernel size")
        put(16 * int(layer.residual) + NONLINEARITIES.index(layer.nonlinearity), 1, "layer type")
    put(header.ac_max_nn, 2, "AC_MAX_VAL_nn")
    put(header.ac_max_latent, 2, "AC_MAX_VAL_latent")
    for q in header.q_indices:
        put(ABSENT_Q_INDEX if q is None else q, 1, "q-step index")
    for q, s in zip(header.q_indices, header.nn_scale_indices):
        if q is not None:
            put(s if s is not None else -1, 2, "NN-scale index")
    for q, n in zip(header.q_indices, header.nn_stream_bytes):
        if q is not None:
            put(n, 2, "NN stream length")
    put(len(arch.n_ft_per_res), 1, "number of resolutions")
    put(len(header.latent_stream_bytes), 1, "number of latent grids")
    for c in arch.n_ft_per_res:
        put(c, 1, "features per resolution")
    for n in header.latent_stream_bytes:
        put(n, 3, "latent stream length")
    return bytes(out)


def latent_grid_shapes(header: PayloadHeader) -> list[tuple[int, int, int]]:
    """(resolution, h, w) of each 2-D latent entry, in stream order (one for c_i = 0)."""
    arch = header.architecture
    sizes = latent_sizes(header.height, header.width, len(arch.n_ft_per_res))
    return [
        (i, h, w) for i, (c, (h, w)) in enumerate(zip(arch.n_ft_per_res, sizes)) for _ in range(max(c, 1))
    ]
