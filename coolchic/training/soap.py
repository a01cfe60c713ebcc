"""SOAP: Adam run in the eigenbasis of Shampoo's preconditioner (Vyas et al., arXiv 2409.11321).

For a weight viewed as a matrix ``G`` (``[out, rest]``) the optimiser keeps Shampoo's
statistics ``L = EMA(G Gᵀ)`` and ``R = EMA(Gᵀ G)`` (decay ``shampoo_beta``) and their
eigenvectors ``Q_L``, ``Q_R``, refreshed every ``precondition_frequency`` steps. Each step
rotates the gradient ``G' = Q_Lᵀ G Q_R``, runs Adam on ``G'`` (both moments in the rotated
space; when the basis is refreshed the first moment is rotated exactly, the second one
approximately with ``Q∘Q``), and rotates the Adam direction back. Sides larger than ``max_precond_dim`` keep the identity basis, 1-D
parameters and groups with ``precondition=False`` are plain Adam. Networks of Cool-chic
are tiny (sides ≤ a few hundred), so a full ``eigh`` per refresh is cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor


class SOAP(torch.optim.Optimizer):
    """Adam in Shampoo's eigenbasis (bias-corrected; no weight decay)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 3e-3,
        betas: tuple[float, float] = (0.95, 0.95),
        shampoo_beta: float = 0.95,
        eps: float = 1e-8,
        precondition_frequency: int = 10,
        max_precond_dim: int = 1024,
        precondition: bool = True,
    ) -> None:
        if lr <= 0 or not 0 <= betas[0] < 1 or not 0 <= betas[1] < 1 or not 0 <= shampoo_beta < 1:
            raise ValueError("SOAP: lr must be > 0 and betas / shampoo_beta in [0, 1)")
        if precondition_frequency < 1:
            raise ValueError("SOAP: precondition_frequency must be >= 1")
        defaults = dict(lr=lr, betas=betas, shampoo_beta=shampoo_beta, eps=eps,
                        precondition_frequency=precondition_frequency, max_precond_dim=max_precond_dim,
                        precondition=precondition)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        """One update of every parameter that has a gradient."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, group)

    def _update(self, p: Tensor, group: dict[str, Any]) -> None:
        grad = p.grad.reshape(p.shape[0], -1) if p.dim() > 1 else p.grad.reshape(1, -1)
        state = self.state[p]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(grad)
            state["exp_avg_sq"] = torch.zeros_like(grad)
            state["stats"] = self._init_stats(grad, group)
            state["basis"] = [None if s is None else _eigenvectors(s) for s in state["stats"]]
        state["step"] += 1
        step = state["step"]
        stats, basis = state["stats"], state["basis"]
        m, v = state["exp_avg"], state["exp_avg_sq"]

        g_rot = _rotate(grad, basis, forward=True)
        m.mul_(beta1).add_(g_rot, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g_rot, g_rot, value=1 - beta2)
        bias1 = 1 - beta1**step
        bias2 = 1 - beta2**step
        direction = m / (v / bias2).sqrt_().add_(group["eps"])
        p.add_(_rotate(direction, basis, forward=False).reshape(p.shape), alpha=-group["lr"] / bias1)

        shampoo_beta = group["shampoo_beta"]
        for side, s in enumerate(stats):
            if s is not None:
                outer = grad @ grad.T if side == 0 else grad.T @ grad
                s.mul_(shampoo_beta).add_(outer, alpha=1 - shampoo_beta)
        if step % group["precondition_frequency"] == 0 and any(s is not None for s in stats):
            m_orig = _rotate(m, basis, forward=False)
            v_orig = _rotate(v, basis, forward=False, squared=True)
            state["basis"] = basis = [None if s is None else _eigenvectors(s) for s in stats]
            m.copy_(_rotate(m_orig, basis, forward=True))
            v.copy_(_rotate(v_orig, basis, forward=True, squared=True))

    @staticmethod
    def _init_stats(grad: Tensor, group: dict[str, Any]) -> list[Tensor | None]:
        rows, cols = grad.shape
        use = group["precondition"] and rows > 1 and cols > 1
        limit = group["max_precond_dim"]
        left = grad @ grad.T if use and rows <= limit else None
        right = grad.T @ grad if use and cols <= limit else None
        return [left, right]


def _eigenvectors(s: Tensor) -> Tensor:
    """Orthonormal eigenvectors of a symmetric PSD matrix (float64 eigh for robustness).

    Runs on the CPU whatever the matrix' device: the matrices are tiny, and a GPU solver
    costs a launch sequence and a synchronisation per call.
    """
    host = s.detach().to("cpu", torch.float64)
    _, vectors = torch.linalg.eigh(host + 1e-30 * torch.eye(host.shape[0], dtype=torch.float64))
    return vectors.to(s.device, s.dtype)


def _rotate(x: Tensor, basis: list[Tensor | None], *, forward: bool, squared: bool = False) -> Tensor:
    """``Q_Lᵀ x Q_R`` (forward) or ``Q_L x Q_Rᵀ``; ``squared`` rotates with ``Q∘Q`` (for variances)."""
    left, right = basis
    if left is not None:
        q = left * left if squared else left
        x = (q.T @ x) if forward else (q @ x)
    if right is not None:
        q = right * right if squared else right
        x = (x @ q) if forward else (x @ q.T)
    return x
