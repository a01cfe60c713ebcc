"""Cool-chic itself as a benchmark codec, through :mod:`coolchic.api`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from importlib import metadata
from typing import Any

import numpy as np

from coolchic.evaluation.codecs import Codec
from coolchic.options import EncoderOptions, tier_starts

PUBLISHED_LAMBDAS = (1e-4, 4e-4, 1e-3, 4e-3, 2e-2)
"""The λ values of the published Cool-chic 3.0 Kodak results."""
REFERENCE_N_ITR = 100_000
"""Phase-0 iterations of the Cool-chic 3.0 reference CLI (its default)."""
_NOT_IN_KEY = ("lmbda", "threads", "workdir", "finish_on_interrupt")
"""Encoder options that are not part of a point's cache key (λ is the setting, threads are
keyed separately, the others do not change the stream)."""


def _package_version() -> str:
    try:
        return metadata.version("coolchic")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class CoolchicCodec(Codec):
    """Cool-chic encoder/decoder with a budget; ``None`` leaves the API's default.

    The encode wall time includes the check decode that :func:`coolchic.api.encode` runs;
    it is small next to the training.
    """

    n_itr: int | None = None
    n_train_loops: int | None = None
    preset: str | None = None
    time_limit: float | None = None
    threads: int = 1
    default_settings: tuple[float, ...] = PUBLISHED_LAMBDAS
    name: str = "coolchic"
    param: str = "lmbda"
    suffix: str = ".cool"
    keep_streams: bool = True

    @property
    def description(self) -> str:  # type: ignore[override]
        budget = ", ".join(f"{k}={v}" for k, v in self.effective_budget().items())
        return f"Cool-chic (this implementation, {_package_version()}), {budget}"

    def _encoder_options(self, lmbda: float | None = None) -> EncoderOptions:
        """The options :func:`coolchic.api.encode` resolves for this budget at ``lmbda``
        (default: the encoder's default λ)."""
        from coolchic.api import encoder_options

        at_lmbda = {} if lmbda is None else {"lmbda": lmbda}
        return encoder_options(preset=self.preset, **self._explicit(), **at_lmbda)

    def _explicit(self) -> dict[str, Any]:
        """The encoder options this budget sets (those not left to the preset or the API)."""
        explicit = {"n_itr": self.n_itr, "n_train_loops": self.n_train_loops, "time_limit": self.time_limit}
        return {k: v for k, v in explicit.items() if v is not None}

    def _tier_changes(self, value: Callable[[float | None], Any]) -> list[tuple[float, Any]]:
        """``(λ, value(λ))`` for each λ of :data:`~coolchic.options.RATE_TIERS` where
        ``value`` differs from its value below that λ (``value(None)``: at the default λ)."""
        changes = []
        current = value(None)
        for start in () if self.preset is None else tier_starts(self.preset):
            at_start = value(start)
            if at_start != current:
                changes.append((start, at_start))
                current = at_start
        return changes

    def n_itr_changes(self) -> list[tuple[float, int]]:
        """``(λ, n_itr)`` for each λ of :data:`~coolchic.options.RATE_TIERS` where the
        iterations change."""
        return self._tier_changes(lambda lmbda: self._encoder_options(lmbda).n_itr)

    def effective_budget(self) -> dict[str, Any]:
        """What the encoder runs: the preset's values where no explicit option overrides them
        (and the iterations from each λ where they change, :meth:`n_itr_changes`); with a
        ``time_limit`` the iterations are upper bounds."""
        options = self._encoder_options()
        budget: dict[str, Any] = {"n_itr": options.n_itr}
        budget.update({f"n_itr from lmbda {start:g}": n_itr for start, n_itr in self.n_itr_changes()})
        budget.update({"n_train_loops": options.n_train_loops, "recipe": options.recipe, "preset": self.preset})
        if self.time_limit is not None:
            budget["time_limit"] = self.time_limit
        return budget

    def unavailable_reason(self) -> str | None:
        return None  # part of this package

    def options(self) -> dict[str, Any]:
        """Every resolved encoder option that shapes the result (the run's configuration).
        Presets change the decoder and budget at lower rates (:data:`~coolchic.options.RATE_TIERS`):
        the options resolved at each λ where they do are given as ``from_lmbda <λ>``."""
        options = self._with_run_settings(self._resolved())
        options.update({f"from_lmbda {start:g}": tier for start, tier in self._tier_changes(self._resolved)})
        return options

    def point_options(self, setting: float) -> dict[str, Any]:
        """The cache key of the point at λ ``setting``: every encoder option resolved at that λ
        that shapes the result and the training recipe it builds, so a redefined preset,
        default or recipe, or other pretrained networks, never reuse points measured under
        the old ones, and a change at low rates only invalidates the low-rate points."""
        from coolchic.training.schedule import build_recipe

        options = self._encoder_options(setting)
        plan = repr(build_recipe(options.recipe, options.n_itr, options.start_lr))
        return {**self._with_run_settings(self._resolved(setting)), "recipe_plan": plan}

    def _with_run_settings(self, resolved: dict[str, Any]) -> dict[str, Any]:
        """``resolved`` options with the benchmark's own settings and the package version."""
        return {**resolved, "preset": self.preset, "threads": self.threads, "version": _package_version()}

    def _resolved(self, lmbda: float | None = None) -> dict[str, Any]:
        """The encoder options at ``lmbda`` that shape a stream, and the stored networks they start from."""
        from coolchic.training.pretrained import fingerprint

        options = self._encoder_options(lmbda)
        resolved = {f.name: getattr(options, f.name) for f in fields(EncoderOptions) if f.name not in _NOT_IN_KEY}
        networks = fingerprint(options.architecture(3)) if options.pretrained else None
        return {**resolved, "pretrained_networks": networks}

    def encode(self, pixels: np.ndarray, setting: float) -> bytes:
        from coolchic import api

        result = api.encode(pixels, lmbda=float(setting), threads=self.threads, preset=self.preset, **self._explicit())
        return bytes(result.data)

    def decode(self, data: bytes) -> np.ndarray:
        from coolchic import api

        return np.asarray(api.decode(data, threads=self.threads).array)
