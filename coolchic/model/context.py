"""Causal ARM contexts from shifted views of zero-padded latent grids (spec §3.2).

Contexts are laid out *transposed*, ``[n_ctx, n_latents]``: each context input is one
contiguous shifted copy of the grid, and the ARM runs as ``W @ contexts`` matmuls.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from coolchic.model.shifts import shifted_stack


def context_offsets(n_ctx_rowcol: int) -> list[tuple[int, int]]:
    """(dy, dx) of the context inputs in raster order: N rows above (2N+1 wide), N to the left."""
    n = n_ctx_rowcol
    offsets = [(dy, dx) for dy in range(-n, 0) for dx in range(-n, n + 1)]
    return offsets + [(0, dx) for dx in range(-n, 0)]


def grid_contexts(grids: Tensor, n_ctx_rowcol: int) -> Tensor:
    """Contexts ``[n_ctx, c * h * w]`` of every position of ``grids [c, h, w]`` (zero outside)."""
    n = n_ctx_rowcol
    c, h, w = grids.shape
    padded = F.pad(grids, (n, n, n, 0))
    offsets = tuple((n + dy, n + dx) for dy, dx in context_offsets(n))
    return shifted_stack(padded, offsets, h, w).reshape(len(offsets), c * h * w)


def all_contexts(latents: list[Tensor], n_ctx_rowcol: int) -> Tensor:
    """Contexts ``[n_ctx, n]`` of every latent, in flattening order (resolution, c, h, w)."""
    return torch.cat([grid_contexts(y, n_ctx_rowcol) for y in latents if y.numel()], dim=1)
