"""Encoder options: validation, layer-string parsing and the resulting decoder architecture.

This module does not import torch. Options are validated against the limits of the
Cool-chic 3.0 bitstream format (spec §6): one ARM hidden width for every hidden layer,
at most 255 layers / channels / kernel sizes / resolutions / features per resolution.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from coolchic.c3.frame import Architecture, SynthesisLayer
from coolchic.devices import check_device_name

DEFAULT_LAYERS_SYNTHESIS = "40-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none"
DEFAULT_N_ITR = 1000
"""Default phase-0 iterations: a 768x512 image encodes in roughly 10-20 min on 2 CPU cores.

The 3.0 CLI default (100 000) targets GPUs; the 3.0 README example uses 1000. See
:mod:`coolchic.training.schedule` for how the other phases scale with ``n_itr``."""
DEFAULT_N_TRAIN_LOOPS = 1
"""Default number of independent training runs (the 3.0 README suggests 1 to 5)."""

RECIPES = ("c3", "lean")
"""Training recipes (:mod:`coolchic.training.schedule`): ``c3`` is the 3.0 one."""

LIGHT_ARCHITECTURE: dict[str, object] = {
    "n_ctx_rowcol": 2,
    "layers_arm": "12,12",
    "layers_synthesis": "16-1-linear-relu,X-1-linear-relu,X-3-residual-relu,X-3-residual-none",
}
"""A cheaper decoder (867 instead of 2291 MAC/pixel): ~1.5x faster training steps (the
3.0 encoder used N=2, ARM 12,12 for its λ = 0.02 streams)."""

PRESETS: dict[str, dict[str, object]] = {
    "fast": {"recipe": "lean", "n_itr": 330, **LIGHT_ARCHITECTURE},
    "medium": {"recipe": "lean", "n_itr": 1250},
    "slow": {"recipe": "lean", "n_itr": 10_000},
}
"""Named encoder settings (``coolchic.encode(preset=...)``, ``--preset``); explicit options win.

Chosen from ``benchmarks/results/recipe_study.md`` (the ``lean`` recipe beat the 3.0 one at
every budget measured) and ``benchmarks/results/fast_architecture_study.tsv`` (in the time of
130 default-model iterations, 195 iterations of :data:`LIGHT_ARCHITECTURE` lowered the RD
loss in 3 of 4 Kodak encodes, by 25-34 %, and raised it by 9 % in one; on kodim01-04 in
``kodak-budget.tsv`` it is better at λ 1e-3 on all four and worse at 4e-3 on three).
The budgets fill the issue-6 time goals with a margin (kodim01, 2 threads, quiet machine:
``fast`` 51 s of <= 60, ``medium`` 255 s of <= 300; measured times and BD-rates per preset
are in the README). They are budgets in iterations, so they get faster with the training
step: when it got faster (session 8: light model 4-9 %, default 7-10 %) ``fast`` went from
270 to 300 iterations (52-53 s, RD loss -3.0 % on average over the 16 bench points) and
``medium`` from 1150 to 1250 (243 s, -0.6 %); session 9 (light step about 9 % faster) took
``fast`` to 330 (51.7-55.8 s, -1.2 %). At lower rates the presets change (:data:`RATE_TIERS`).
``quality`` / ``lmbda`` stay the caller's choice.
"""

COARSE_LATENTS = (0, 1, 1, 1, 1, 1, 1)
"""``n_ft_per_res`` without the full-resolution latent grid (a resolution may have no channels,
spec §3.1): the synthesis builds every pixel from the upsampled coarser grids. It removes
3/4 of the latents, so of the ARM's work: 1600 iterations of ``medium`` at λ 2e-2 took 274-279 s
instead of 369-371 s (1 thread). It pays at low rates, where that grid costs more bits than
it saves error. At equal 1-thread
time on the four bench images (``benchmarks/results/recipe_study.md``, session 10) it lowered
``medium``'s RD loss by 7.0 % on average at λ 4e-3 and 7.9 % at 2e-2 and ``fast``'s by 7.6 %
and 10.0 %, and raised ``medium``'s by 3.6 % (kodim23) and 21 % (kodim01) at λ 1e-3."""

COARSE_LMBDA = 3e-3
"""From this λ up (quality <= 44) ``fast`` and ``medium`` leave out the full-resolution grid
(:data:`COARSE_LATENTS`): it won at λ 4e-3 and lost at 1e-3, on kodim01 (the most textured
bench image) by only 1.8 % at 4e-3, so the switch sits nearer 4e-3 than the two λ's midpoint."""

LOW_RATE_LMBDA = 1e-2
"""From this λ up (quality <= 26) every preset uses :data:`LIGHT_ARCHITECTURE`: at λ 2e-2 the
default decoder's networks took 1188-1356 bytes of the Kodak bench files, 20-50 % of them,
the light one's 540-668 (the 3.0 encoder made the same switch for its λ = 0.02 streams).
With ``medium`` at λ 2e-2 the switch lowered the RD loss by 2.5-3.1 % on average over 4 images
(``benchmarks/results/recipe_study.md``, session 7); at 4e-3 the light decoder lost."""

RATE_TIERS: dict[str, tuple[tuple[float, dict[str, object]], ...]] = {
    "fast": ((COARSE_LMBDA, {"n_ft_per_res": COARSE_LATENTS, "n_itr": 470}),),
    "medium": (
        (COARSE_LMBDA, {"n_ft_per_res": COARSE_LATENTS, "n_itr": 1900}),
        (LOW_RATE_LMBDA, {**LIGHT_ARCHITECTURE, "n_itr": 2350}),
    ),
    "slow": ((LOW_RATE_LMBDA, LIGHT_ARCHITECTURE),),
}
"""Per preset, ``(λ, options)`` pairs in rising λ: an encode at λ takes the options of every
pair whose λ it reaches, later pairs winning. The iteration budgets keep each preset's time
as the cheaper steps allow: on the bench images (1 thread, two encodes side by side) ``fast``
took 75-78 s for 440 coarse iterations against 81-86 s for its 330 full ones, so it runs 470
(81.5-82.9 s; 53.1 s with 2 threads at quality 40, kodim01), and ``medium``
361-367 s for 1750 default-decoder coarse iterations and 352-369 s for 2150 light coarse ones,
against 397-418 s for its 1250 full ones. ``slow``'s time is not bounded, and it keeps the
full pyramid (not measured at its budget)."""


def preset_values(preset: str, lmbda: float) -> dict[str, object]:
    """The options of ``PRESETS[preset]`` for an encode at ``lmbda`` (:data:`RATE_TIERS`)."""
    if preset not in PRESETS:
        raise ValueError(f"preset: unknown preset {preset!r} (accepted: {', '.join(sorted(PRESETS))})")
    values = dict(PRESETS[preset])
    for start, tier in RATE_TIERS.get(preset, ()):
        if lmbda >= start:
            values.update(tier)
    return values


def tier_starts(preset: str) -> tuple[float, ...]:
    """The λ's from which ``preset`` changes options (:data:`RATE_TIERS`)."""
    return tuple(start for start, _ in RATE_TIERS.get(preset, ()))


PRESET_SUMMARIES: dict[str, str] = {
    "fast": "330 iterations of a lighter decoder (470 on fewer latents from quality 44 down), "
            "~55 s per 768x512 image on 2 Xeon cores",
    "medium": "1250 iterations (more, on fewer latents, from quality 44 down), ~4 min per 768x512 image on 2 Xeon cores",
    "slow": "10 000 iterations, about an hour per 768x512 image",
}
"""One line per preset for help texts. The times are those of the project's 2-core Xeon VMs;
an AMD EPYC VM of the same size took about three times as long
(``benchmarks/results/machines.md``), which ``time_limit`` caps."""

_NONLINEARITIES = ("none", "relu", "leakyrelu", "gelu")
_LAYER_TYPES = ("linear", "residual")
_MAX_BYTE = 255


def parse_layers_synthesis(spec: str, out_channels: int) -> tuple[SynthesisLayer, ...]:
    """Parse ``<out>-<k>-<linear|residual>-<relu|leakyrelu|gelu|none>,...``.

    ``X`` as ``<out>`` stands for ``out_channels``. The first layer's input width is not
    known here, so a residual first layer is checked by :meth:`EncoderOptions.architecture`;
    residual layers after the first need ``in == out``. Raises ``ValueError`` naming the
    offending layer.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("layers_synthesis: expected a non-empty string like '40-1-linear-relu,X-1-linear-none'")
    layers: list[SynthesisLayer] = []
    items = spec.split(",")
    if len(items) > _MAX_BYTE:
        raise ValueError(f"layers_synthesis: at most {_MAX_BYTE} layers (got {len(items)})")
    for idx, item in enumerate(items):
        item = item.strip()
        where = f"layers_synthesis: layer {idx} {item!r}"
        parts = item.split("-")
        if len(parts) != 4:
            raise ValueError(f"{where}: expected <out>-<k>-<linear|residual>-<{'|'.join(_NONLINEARITIES)}>")
        out_s, k_s, kind, nonlin = parts
        out = out_channels if out_s == "X" else _parse_int(out_s, where, "output channels")
        k = _parse_int(k_s, where, "kernel size")
        if not 1 <= out <= _MAX_BYTE:
            raise ValueError(f"{where}: output channels must be in 1..{_MAX_BYTE}")
        if not 1 <= k <= _MAX_BYTE or k % 2 == 0:
            raise ValueError(f"{where}: kernel size must be odd and in 1..{_MAX_BYTE}")
        if kind not in _LAYER_TYPES:
            raise ValueError(f"{where}: layer type must be 'linear' or 'residual'")
        if nonlin not in _NONLINEARITIES:
            raise ValueError(f"{where}: non-linearity must be one of {', '.join(_NONLINEARITIES)}")
        if kind == "residual" and layers and layers[-1].out_channels != out:
            raise ValueError(f"{where}: a residual layer needs as many input as output channels")
        layers.append(SynthesisLayer(out, k, kind == "residual", nonlin))  # type: ignore[arg-type]
    return tuple(layers)


def _parse_int(text: str, where: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be an integer (or X), got {text!r}") from None


def _int_tuple(value: Any, name: str, form: str) -> tuple[int, ...]:
    """Accept ``"1,2,3"``, ``""`` or a sequence of ints."""
    if isinstance(value, str):
        text = value.strip()
        items: Sequence[Any] = [t.strip() for t in text.split(",")] if text else []
    elif isinstance(value, (tuple, list)):
        items = value
    else:
        raise ValueError(f"{name}: expected {form}, got {value!r}")
    out = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError(f"{name}: expected {form}, got {value!r}")
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected {form}, got {value!r}") from None
        if isinstance(item, float) and item != number:
            raise ValueError(f"{name}: expected {form}, got {value!r}")
        out.append(number)
    return tuple(out)


def _check_number(name: str, value: Any, *, integer: bool, minimum: float, form: str) -> None:
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name}: expected {form}, got {value!r}")


@dataclass(frozen=True)
class EncoderOptions:
    """Everything the encoder needs besides the image.

    ``layers_arm`` and ``n_ft_per_res`` accept the CLI strings (``"24,24"``,
    ``"1,1,1,1,1,1,1"``) or sequences of ints; they are stored as tuples of ints.
    ``layers_synthesis`` stays a string because ``X`` depends on the image's channel count.
    ``n_itr`` is the length of the main training phase; the other phases scale with it
    (see :func:`coolchic.training.schedule.build_recipe`). ``threads`` sets torch's
    intra-op threads during :func:`coolchic.training.encoder.fit` (restored afterwards);
    ``seed`` makes a CPU encode reproducible. ``recipe`` names the training recipe (one of
    :data:`RECIPES`); with ``finish_on_interrupt`` a Ctrl-C during training stops it and
    the encoder still returns the best model so far. ``avoid_zero_scales`` changes the ARM
    so that no latent gets entropy-coder scale 0: the 3.0 format and its reference encoder
    use such symbols (70 of the 120 official Kodak streams) and constriction >= 0.3.3
    refuses them; avoiding them costs rate at high λ (+55 % latent bits on kodim23 at
    λ = 0.02, see :mod:`coolchic.training.zero_scale`). With ``pretrained`` (the default) the
    ``lean`` recipe starts its warm-up candidates (the first and the last) from the package's
    pretrained networks when the architecture has some (:mod:`coolchic.training.pretrained`).
    ``time_limit`` (seconds) lowers ``n_itr`` to what the machine's measured training step
    allows in that time, never raises it, re-plans the phases left at the pace the encode
    measures as it goes, and stops training in time to quantise, write and check the model
    within the limit (:mod:`coolchic.training.time_budget`).
    """

    lmbda: float = 1e-3
    start_lr: float = 1e-2
    layers_synthesis: str = DEFAULT_LAYERS_SYNTHESIS
    upsampling_kernel_size: int = 8
    layers_arm: tuple[int, ...] | str = (24, 24)
    n_ctx_rowcol: int = 3
    n_ft_per_res: tuple[int, ...] | str = (1, 1, 1, 1, 1, 1, 1)
    n_itr: int = DEFAULT_N_ITR
    n_train_loops: int = DEFAULT_N_TRAIN_LOOPS
    workdir: str | Path | None = None
    device: str = "cpu"
    threads: int | None = None
    seed: int | None = None
    recipe: str = "c3"
    finish_on_interrupt: bool = False
    avoid_zero_scales: bool = False
    pretrained: bool = True
    time_limit: float | None = None

    def __post_init__(self) -> None:
        arm = _int_tuple(self.layers_arm, "layers_arm", "comma-separated equal widths like '24,24' (or '')")
        fts = _int_tuple(self.n_ft_per_res, "n_ft_per_res", "comma-separated feature counts like '1,1,1,1,1,1,1'")
        object.__setattr__(self, "layers_arm", arm)
        object.__setattr__(self, "n_ft_per_res", fts)
        self._validate()

    def _validate(self) -> None:
        _check_number("lmbda", self.lmbda, integer=False, minimum=0.0, form="a number >= 0 (e.g. 1e-3)")
        _check_number("start_lr", self.start_lr, integer=False, minimum=1e-12, form="a number > 0 (e.g. 1e-2)")
        k = self.upsampling_kernel_size
        _check_number("upsampling_kernel_size", k, integer=True, minimum=8, form="an even integer in 8..254")
        if k % 2 or k > _MAX_BYTE:
            raise ValueError(f"upsampling_kernel_size: expected an even integer in 8..254, got {k!r}")
        arm = self.layers_arm
        assert isinstance(arm, tuple)
        if len(arm) > _MAX_BYTE or any(not 1 <= d <= _MAX_BYTE for d in arm) or len(set(arm)) > 1:
            raise ValueError(
                f"layers_arm: expected equal widths in 1..{_MAX_BYTE} like '24,24' (3.0 format), got {arm!r}"
            )
        _check_number("n_ctx_rowcol", self.n_ctx_rowcol, integer=True, minimum=1, form="an integer in 1..255")
        if self.n_ctx_rowcol > _MAX_BYTE:
            raise ValueError(f"n_ctx_rowcol: expected an integer in 1..255, got {self.n_ctx_rowcol!r}")
        fts = self.n_ft_per_res
        assert isinstance(fts, tuple)
        if not 1 <= len(fts) <= _MAX_BYTE or any(not 0 <= c <= _MAX_BYTE for c in fts) or sum(fts) == 0:
            raise ValueError(
                f"n_ft_per_res: expected 1..255 counts in 0..255, not all zero, like '1,1,1,1,1,1,1', got {fts!r}"
            )
        _check_number("n_itr", self.n_itr, integer=True, minimum=1, form="an integer >= 1")
        _check_number("n_train_loops", self.n_train_loops, integer=True, minimum=1, form="an integer >= 1")
        if self.workdir is not None and not isinstance(self.workdir, (str, Path)):
            raise ValueError(f"workdir: expected None or a path, got {self.workdir!r}")
        check_device_name(self.device)
        if self.threads is not None:
            _check_number("threads", self.threads, integer=True, minimum=1, form="None or an integer >= 1")
        if self.seed is not None:
            _check_number("seed", self.seed, integer=True, minimum=0, form="None or an integer >= 0")
        if self.time_limit is not None:
            _check_number("time_limit", self.time_limit, integer=False, minimum=1e-9,
                          form="None or a number of seconds > 0")
        if self.recipe not in RECIPES:
            raise ValueError(f"recipe: expected one of {', '.join(RECIPES)}, got {self.recipe!r}")
        if not isinstance(self.finish_on_interrupt, bool):
            raise ValueError(f"finish_on_interrupt: expected True or False, got {self.finish_on_interrupt!r}")
        for name in ("avoid_zero_scales", "pretrained"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: expected True or False, got {getattr(self, name)!r}")
        parse_layers_synthesis(self.layers_synthesis, 3)
        self.architecture(3)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> EncoderOptions:
        """Build options from keyword arguments; ``ValueError`` for unknown names or bad values."""
        known = [f.name for f in dataclasses.fields(cls) if f.init]
        for name in kwargs:
            if name not in known:
                raise ValueError(f"{name}: unknown encoder option (accepted: {', '.join(known)})")
        return cls(**kwargs)

    def architecture(self, out_channels: int) -> Architecture:
        """The decoder architecture for an image whose synthesis outputs ``out_channels``."""
        layers = parse_layers_synthesis(self.layers_synthesis, out_channels)
        if layers[-1].out_channels != out_channels:
            raise ValueError(
                f"layers_synthesis: the last layer must output X = {out_channels} channels "
                f"(got {layers[-1].out_channels}); write X as its output"
            )
        n_in = sum(self.n_ft_per_res)  # type: ignore[arg-type]
        if layers[0].residual and layers[0].out_channels != n_in:
            raise ValueError(
                f"layers_synthesis: layer 0 is residual but has {n_in} inputs (sum of n_ft_per_res) "
                f"and {layers[0].out_channels} outputs"
            )
        return Architecture(
            n_ctx_rowcol=self.n_ctx_rowcol,
            layers_arm=tuple(self.layers_arm),  # type: ignore[arg-type]
            upsampling_kernel_size=self.upsampling_kernel_size,
            synthesis=layers,
            n_ft_per_res=tuple(self.n_ft_per_res),  # type: ignore[arg-type]
        )
