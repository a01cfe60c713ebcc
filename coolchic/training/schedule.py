"""Training recipes: the 3.0 ``c3`` preset (spec §4.4) and a shorter one, scaled by ``n_itr``.

``c3`` scaling rule: phase 0 (the main phase) runs ``n_itr`` iterations. Every other phase
keeps its 3.0 length multiplied by ``f = min(1, n_itr / REFERENCE_N_ITR)`` (at least 1
iteration), and its test period and patience are scaled by the same factor (at least 1).
From ``n_itr >= 10 000`` the schedule is exactly the 3.0 one; with ``n_itr = 20`` a complete
encode (warm-up, 33 phases, NN quantisation search) is about 60 iterations. Phase 0 tests
every ``min(100, n_itr // 10)`` iterations (at least 1), so annealing and the cosine
learning rate always get about ten steps.

``lean`` (see :func:`lean_recipe`, chosen by ``benchmarks/recipe_study.py``): SOAP for the
networks and Adam for the latents, one warm-up round of a few short candidates, the main noise phase of ``n_itr`` iterations, a single
short STE phase with a cosine learning rate instead of 32 phases and NN quantisation with the
greedy search. Every phase but the main one is a fixed fraction of ``n_itr``. It has no
latent-only phase by default (``latents_frac``): with the STE proxy's temperature of 1e-4 the
latents get no gradient except within about 1e-3 of a rounding boundary, and in the
encodes measured (``benchmarks/results/recipe_study.md``, session 12) that phase never
improved the test loss; it took 3 % of the iterations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

REFERENCE_N_ITR = 10_000
N_WARMUP_CANDIDATES = 5
N_WARMUP_SURVIVORS = 2
STE_TEMPERATURE = 1e-4
ADAM_BETAS = (0.9, 0.999)
"""Adam's betas in 3.0 (for everything it trains)."""


@dataclass(frozen=True)
class Phase:
    """One training phase (spec §4.3); ``optimizer`` / ``lr_networks`` are our additions."""

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
    optimizer: Literal["adam", "soap"] = "adam"
    lr_networks: float | None = None
    """Learning rate of the networks (None: ``lr``, as in 3.0)."""
    latent_betas: tuple[float, float] = ADAM_BETAS
    """Betas of the latents' Adam."""


@dataclass(frozen=True)
class Recipe:
    """Warm-up rounds ``(candidates entering, phase)`` (the best one survives), then phases."""

    warmup: tuple[tuple[int, Phase], ...]
    phases: tuple[Phase, ...]
    nn_search: Literal["full", "greedy"] = "full"
    pretrained: bool = False
    """Whether the first candidate starts from :mod:`coolchic.training.pretrained` networks."""
    pretrained_backup_lr: float | None = None
    """When set (and pretrained networks are used), the last of two or more warm-up
    candidates also starts from them instead of at random, its networks' warm-up learning
    rate lowered to this: a backup for warm-ups where the full rate does worse, from the
    rare spike of session 6 to 14 of 24 ``medium`` warm-ups at λ 1e-3 (``recipe_study.md``,
    sessions 6 and 15)."""

    def planned_iterations(self) -> int:
        """Iterations if no phase stops early (for progress / ETA)."""
        return sum(n * p.max_itr for n, p in self.warmup) + sum(p.max_itr for p in self.phases)


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


def c3_recipe(n_itr: int, start_lr: float) -> Recipe:
    """The 3.0 recipe: 5 candidates, best 2 continue, best 1 kept; phases 0..33."""
    warm = warmup_phase(n_itr, start_lr)
    rounds = ((N_WARMUP_CANDIDATES, _named(warm, "warmup1")), (N_WARMUP_SURVIVORS, _named(warm, "warmup2")))
    return Recipe(rounds, tuple(main_phases(n_itr, start_lr)), "full")


def _named(phase: Phase, name: str) -> Phase:
    return Phase(**{**phase.__dict__, "name": name})


def lean_recipe(
    n_itr: int,
    start_lr: float,
    *,
    candidates: int = 2,
    warmup_frac: float = 0.04,
    ste_frac: float = 0.1,
    ste_lr: float = 1e-4,
    latents_frac: float = 0.0,
    temperature: tuple[float, float] = (0.4, 0.1),
    kumaraswamy: tuple[float, float] = (2.0, 2.0),
    optimizer: Literal["adam", "soap"] = "soap",
    lr_networks: float | None = None,
    n_tests: int = 20,
    backup_lr_factor: float = 0.3,
    latent_betas: tuple[float, float] = ADAM_BETAS,
) -> Recipe:
    """Short recipe: warm-up of ``candidates`` (the first one from pretrained networks, see
    :mod:`coolchic.training.pretrained`), noise phase, one STE phase, quantise, and with
    ``latents_frac > 0`` a latent-only phase (3.0's last phase; none by default).

    Phase lengths other than the main one are ``frac * n_itr`` (at least 1). Each phase is
    tested about ``n_tests`` times; the main and STE phases follow a cosine learning rate.
    The noise keeps Kumaraswamy ``a = 2`` throughout (3.0 anneals it to 1, uniform noise):
    the less noisy proxy gave lower RD losses at the presets' budgets
    (``benchmarks/results/recipe_study.md``, sessions 12-13). The soft-round temperature
    anneals from 0.4 (3.0: 0.3) to 0.1 and the warm-up runs at 0.4: 1-2 % lower RD loss on
    the ``fast`` and ``medium`` benches (``recipe_study.md``, session 19).
    The networks are trained with SOAP (``optimizer``, at ``lr_networks``, default the
    latents' ``start_lr``), the latents with Adam (``latent_betas``; 3.0's by default, a β2
    of 0.99 was no better, ``recipe_study.md``, session 17). With pretrained networks the last of two
    or more candidates starts from them too, its networks warmed up at ``backup_lr_factor``
    times their rate (:attr:`Recipe.pretrained_backup_lr`). So the default two both start
    from them: a third, random candidate never won the ``medium`` warm-up on Kodak
    (``benchmarks/results/recipe_study.md``, session 15).
    """
    def length(frac: float) -> int:
        return max(1, round(frac * n_itr))

    def freq(n: int) -> int:
        return max(1, n // n_tests)

    nets = dict(optimizer=optimizer, lr_networks=lr_networks, latent_betas=latent_betas)
    n_warm, n_ste = length(warmup_frac), length(ste_frac)
    warm = Phase("warmup1", start_lr, n_warm, n_warm, max(1, n_warm), "noise",
                 (temperature[0],) * 2, (kumaraswamy[0],) * 2, **nets)  # type: ignore[arg-type]
    ste = dict(proxy="ste", temperature=(STE_TEMPERATURE,) * 2, kumaraswamy=(1.0, 1.0))
    phases = [
        Phase("phase0", start_lr, n_itr, n_itr, freq(n_itr), "noise", temperature, kumaraswamy,
              scheduler=True, **nets),  # type: ignore[arg-type]
        Phase("ste", ste_lr, n_ste, n_ste, freq(n_ste), scheduler=True, quantize_model=True,
              optimizer=optimizer, latent_betas=latent_betas, **ste),  # type: ignore[arg-type]
    ]
    if latents_frac > 0:
        n_lat = length(latents_frac)
        phases.append(Phase("latents", ste_lr, n_lat, n_lat, freq(n_lat), latents_only=True,
                            latent_betas=latent_betas, **ste))  # type: ignore[arg-type]
    backup_lr = backup_lr_factor * (start_lr if lr_networks is None else lr_networks)
    return Recipe(((candidates, warm),) if candidates > 1 else (), tuple(phases), "greedy", pretrained=True,
                  pretrained_backup_lr=backup_lr)


RECIPES = {"c3": c3_recipe, "lean": lean_recipe}


def build_recipe(name: str, n_itr: int, start_lr: float) -> Recipe:
    """The named recipe (``coolchic.options.RECIPES``) for ``n_itr`` and ``start_lr``."""
    if name not in RECIPES:
        raise ValueError(f"recipe: unknown recipe {name!r} (accepted: {', '.join(RECIPES)})")
    return RECIPES[name](n_itr, start_lr)
