"""The 3.0 ``c3`` training preset (spec §4.4) and how it scales with ``n_itr``.

Scaling rule: phase 0 (the main phase) runs ``n_itr`` iterations. Every other phase keeps
its 3.0 length multiplied by ``f = min(1, n_itr / REFERENCE_N_ITR)`` (at least 1 iteration),
and its test period and patience are scaled by the same factor (at least 1). From
``n_itr >= 10 000`` the schedule is exactly the 3.0 one; with ``n_itr = 20`` a complete
encode (warm-up, 33 phases, NN quantisation search) is about 60 iterations. Phase 0 tests
every ``min(100, n_itr // 10)`` iterations (at least 1), so annealing and the cosine
learning rate always get about ten steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

REFERENCE_N_ITR = 10_000
N_WARMUP_CANDIDATES = 5
N_WARMUP_SURVIVORS = 2
STE_TEMPERATURE = 1e-4


@dataclass(frozen=True)
class Phase:
    """One training phase (spec §4.3)."""

    name: str
    lr: float
    max_itr: int
    patience: int
    freq_valid: int
    proxy: Literal["noise", "ste"]
    temperature: tuple[float, float]
    kumaraswamy: tuple[float, float]
    latents_only: bool = False
    scheduler: bool = False
    quantize_model: bool = False


def _scaled(name: str, f: float, max_itr: int, patience: int, freq: int, **kw) -> Phase:  # type: ignore[no-untyped-def]
    n = max(1, round(max_itr * f))
    return Phase(
        name=name,
        max_itr=n,
        patience=max(1, math.ceil(patience * n / max_itr)),
        freq_valid=max(1, min(n, round(freq * n / max_itr))),
        **kw,
    )


def warmup_phase(n_itr: int, start_lr: float) -> Phase:
    """Warm-up of one candidate (used for both warm-up rounds)."""
    f = min(1.0, n_itr / REFERENCE_N_ITR)
    return _scaled("warmup", f, 400, 10_000, 100, lr=start_lr, proxy="noise",
                   temperature=(0.3, 0.3), kumaraswamy=(2.0, 2.0))


def main_phases(n_itr: int, start_lr: float) -> list[Phase]:
    """Phases 0..33 of the ``c3`` preset for a given ``n_itr``."""
    f = min(1.0, n_itr / REFERENCE_N_ITR)
    freq0 = max(1, min(100, n_itr // 10))
    phases = [
        Phase("phase0", start_lr, n_itr, max(n_itr, freq0), freq0, "noise", (0.3, 0.1), (2.0, 1.0),
              scheduler=True)
    ]
    ste = dict(proxy="ste", temperature=(STE_TEMPERATURE,) * 2, kumaraswamy=(1.0, 1.0))
    for j in range(31):
        phases.append(_scaled(f"ste{j + 1}", f, 100, 50, 10, lr=1e-4 * 0.8**j, **ste))
    phases.append(_scaled("ste32", f, 100, 100, 100, lr=1e-4 * 0.8**31, quantize_model=True, **ste))
    phases.append(_scaled("latents", f, 1000, 50, 10, lr=1e-4, latents_only=True, **ste))
    return phases
