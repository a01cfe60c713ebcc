"""``coolchic info``: describe ``.cool`` files and raw 3.0 streams from their headers."""

from __future__ import annotations

import json
from typing import Any

SCHEMA_VERSION = 1
"""Version of the ``coolchic info --json`` document; bumped on incompatible changes."""


def _synthesis(arch: Any) -> str:
    return ",".join(
        f"{layer.out_channels}-{layer.kernel_size}-{'residual' if layer.residual else 'linear'}-{layer.nonlinearity}"
        for layer in arch.synthesis
    )


def info_record(path: str, info: Any) -> dict[str, Any]:
    """The JSON-ready description of one file (see ``docs/usage.md`` for the fields)."""
    arch = info.architecture
    return {
        "path": path,
        "format": "cool" if info.container_version is not None else "coolchic3-bitstream",
        "container_version": None if info.container_version is None else "%d.%d" % info.container_version,
        "profile": info.profile,
        "width": info.width,
        "height": info.height,
        "color": info.color,
        "bitdepth": info.bitdepth,
        "file_size": info.file_size,
        "bpp": round(info.bpp, 6),
        "header_size": info.header_size,
        "chunks": dict(info.chunk_sizes),
        "payload_size": info.payload_size,
        "payload_header_size": info.payload_header_size,
        "nn_bytes": info.nn_bytes,
        "latent_bytes": info.latent_bytes,
        "latent_bytes_per_resolution": list(info.latent_bytes_per_resolution),
        "architecture": {
            "layers_arm": ",".join(str(d) for d in arch.layers_arm),
            "n_ctx_rowcol": arch.n_ctx_rowcol,
            "upsampling_kernel_size": arch.upsampling_kernel_size,
            "layers_synthesis": _synthesis(arch),
            "n_ft_per_res": ",".join(str(c) for c in arch.n_ft_per_res),
        },
    }


def human_lines(record: dict[str, Any]) -> list[str]:
    """``key: value`` lines for a record (nested dicts flattened with dots)."""
    lines = []
    for key, value in record.items():
        if isinstance(value, dict):
            if not value:
                lines.append(f"{key}: none")
            for sub, item in value.items():
                lines.append(f"{key}.{sub.strip()}: {item}")
        elif isinstance(value, list):
            lines.append(f"{key}: {','.join(str(item) for item in value)}")
        else:
            lines.append(f"{key}: {'none' if value is None else value}")
    return lines


def json_document(records: list[dict[str, Any]]) -> str:
    """``{"schema_version": 1, "files": [...]}``."""
    return json.dumps({"schema_version": SCHEMA_VERSION, "files": records}, indent=2)
