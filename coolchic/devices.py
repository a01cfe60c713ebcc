"""The torch devices coolchic runs on, checked before any work starts."""

from __future__ import annotations

import re

DEVICE_PATTERN = re.compile(r"cpu|cuda(:\d+)?")
"""Accepted device names: ``cpu``, ``cuda`` or ``cuda:<n>``."""


def check_device_name(device: object) -> None:
    """Raise ``ValueError`` unless ``device`` is ``'cpu'``, ``'cuda'`` or ``'cuda:<n>'`` (no torch import)."""
    if not isinstance(device, str) or not DEVICE_PATTERN.fullmatch(device):
        raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:<n>', got {device!r}")


def check_device(device: object) -> None:
    """:func:`check_device_name`, then raise ``ValueError`` unless torch can use that GPU here."""
    check_device_name(device)
    if device == "cpu":
        return
    import torch

    if not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r}: no CUDA GPU is usable by this torch ({torch.__version__}); "
            "use device 'cpu', or install a CUDA build of torch on a machine with an NVIDIA GPU"
        )
    assert isinstance(device, str)
    index = int(device.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        raise ValueError(f"device {device!r}: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}")
