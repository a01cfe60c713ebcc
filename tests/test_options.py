"""EncoderOptions validation and layer-string parsing."""

from __future__ import annotations

import math

import pytest

from coolchic.c3.frame import SynthesisLayer
from coolchic.options import DEFAULT_LAYERS_SYNTHESIS, EncoderOptions, parse_layers_synthesis


def test_parse_default_layers_resolves_x() -> None:
    layers = parse_layers_synthesis(DEFAULT_LAYERS_SYNTHESIS, 3)
    assert layers == (
        SynthesisLayer(40, 1, False, "relu"),
        SynthesisLayer(3, 1, False, "relu"),
        SynthesisLayer(3, 3, True, "relu"),
        SynthesisLayer(3, 3, True, "none"),
    )
    assert parse_layers_synthesis("8-3-linear-gelu,X-1-linear-leakyrelu", 1)[-1].out_channels == 1


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "non-empty"),
        ("40-1-linear", "layer 0"),
        ("40-1-linear-relu,X-2-linear-none", "layer 1 'X-2-linear-none': kernel size"),
        ("40-1-linear-relu,X-1-conv-none", "layer 1 'X-1-conv-none': layer type"),
        ("40-1-linear-relu,X-1-linear-tanh", "layer 1 'X-1-linear-tanh': non-linearity"),
        ("40-1-linear-relu,X-3-residual-none", "layer 1 'X-3-residual-none': a residual"),
        ("a-1-linear-relu", "output channels must be an integer"),
        ("300-1-linear-relu", "output channels must be in 1..255"),
    ],
)
def test_parse_invalid_layers_names_the_layer(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match="layers_synthesis") as info:
        parse_layers_synthesis(spec, 3)
    assert fragment in str(info.value)


def test_defaults_and_string_or_sequence_forms() -> None:
    default = EncoderOptions()
    assert default.layers_arm == (24, 24) and default.n_ft_per_res == (1,) * 7
    assert default.lmbda == 1e-3 and default.start_lr == 1e-2 and default.device == "cpu"
    same = EncoderOptions(layers_arm="24,24", n_ft_per_res=[1, 1, 1, 1, 1, 1, 1])
    assert same == default
    assert EncoderOptions(layers_arm="").layers_arm == ()


def test_architecture() -> None:
    arch = EncoderOptions(n_ft_per_res="1,0,2", layers_arm="12,12", n_ctx_rowcol=2).architecture(1)
    assert arch.n_ctx == 12 and arch.n_latent_channels == 3 and arch.out_channels == 1
    with pytest.raises(ValueError, match="layers_synthesis: the last layer"):
        EncoderOptions(layers_synthesis="8-1-linear-relu,3-1-linear-none").architecture(1)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"bogus": 1}, "bogus"),
        ({"layers_arm": "24,12"}, "layers_arm"),
        ({"layers_arm": "24,x"}, "layers_arm"),
        ({"layers_arm": "256,256"}, "layers_arm"),
        ({"n_ft_per_res": "0,0"}, "n_ft_per_res"),
        ({"n_ft_per_res": "1," * 256}, "n_ft_per_res"),
        ({"n_itr": 0}, "n_itr"),
        ({"n_itr": 1.5}, "n_itr"),
        ({"n_train_loops": 0}, "n_train_loops"),
        ({"lmbda": -1.0}, "lmbda"),
        ({"lmbda": "big"}, "lmbda"),
        ({"start_lr": 0}, "start_lr"),
        ({"upsampling_kernel_size": 7}, "upsampling_kernel_size"),
        ({"upsampling_kernel_size": 4}, "upsampling_kernel_size"),
        ({"n_ctx_rowcol": 0}, "n_ctx_rowcol"),
        ({"device": "tpu"}, "device"),
        ({"threads": 0}, "threads"),
        ({"seed": -1}, "seed"),
        ({"layers_synthesis": "X-1-residual-none"}, "layers_synthesis"),
        ({"recipe": "c4"}, "recipe"),
        ({"finish_on_interrupt": 1}, "finish_on_interrupt"),
    ],
)
def test_invalid_options_name_the_option(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name}: "):
        EncoderOptions.from_kwargs(**kwargs)


def test_options_are_frozen() -> None:
    with pytest.raises(AttributeError):
        EncoderOptions().lmbda = 1.0  # type: ignore[misc]


def test_presets_are_valid_options_ordered_by_effort() -> None:
    from coolchic.options import PRESET_SUMMARIES, PRESETS, RECIPES

    assert list(PRESETS) == ["fast", "medium", "slow"] == list(PRESET_SUMMARIES)
    for name, values in PRESETS.items():
        options = EncoderOptions.from_kwargs(**values)
        assert options.recipe in RECIPES
        assert "lmbda" not in values, f"{name}: quality/lmbda stay the caller's choice"
    n_itr = [EncoderOptions.from_kwargs(**v).n_itr * EncoderOptions.from_kwargs(**v).n_train_loops for v in PRESETS.values()]
    assert n_itr == sorted(n_itr) and len(set(n_itr)) == 3


def test_presets_change_decoder_and_budget_at_lower_rates() -> None:
    from coolchic.api import encoder_options
    from coolchic.options import (COARSE_LATENTS, COARSE_LMBDA, LIGHT_ARCHITECTURE, LOW_RATE_LMBDA, PRESETS,
                                  RATE_TIERS, preset_values, tier_starts)

    light = EncoderOptions.from_kwargs(**LIGHT_ARCHITECTURE).architecture(3)
    default = EncoderOptions().architecture(3)
    for name in PRESETS:
        assert encoder_options(preset=name, lmbda=2e-2).architecture(3).synthesis == light.synthesis
        assert encoder_options(preset=name, quality=10).architecture(3).layers_arm == light.layers_arm
        assert preset_values(name, 0.999 * min(tier_starts(name))) == PRESETS[name]
        assert list(tier_starts(name)) == sorted(tier_starts(name))
        for start, tier in RATE_TIERS[name]:
            assert preset_values(name, start).items() >= tier.items()
    for name in ("fast", "medium"):
        assert tier_starts(name)[0] == COARSE_LMBDA
        assert encoder_options(preset=name, lmbda=COARSE_LMBDA).n_ft_per_res == COARSE_LATENTS
        assert encoder_options(preset=name, lmbda=2e-2).n_ft_per_res == COARSE_LATENTS
        assert encoder_options(preset=name, lmbda=0.999 * COARSE_LMBDA).n_ft_per_res == (1,) * 7
    assert encoder_options(preset="slow", lmbda=2e-2).n_ft_per_res == (1,) * 7
    assert encoder_options(preset="medium", lmbda=4e-3).architecture(3).layers_arm == default.layers_arm
    assert preset_values("medium", LOW_RATE_LMBDA)["layers_arm"] == LIGHT_ARCHITECTURE["layers_arm"]
    assert encoder_options(preset="medium", lmbda=1e-3).architecture(3) == default
    assert encoder_options(preset="medium", lmbda=2e-2, layers_arm="24,24").layers_arm == (24, 24)
    n_itr = [encoder_options(preset="medium", lmbda=lmbda).n_itr for lmbda in (1e-3, 4e-3, 2e-2)]
    assert n_itr == sorted(n_itr) and len(set(n_itr)) == 3
    assert encoder_options(preset="medium", lmbda=2e-2, n_itr=9).n_itr == 9
    with pytest.raises(ValueError, match="lmbda"):
        encoder_options(preset="medium", lmbda="high")
    with pytest.raises(ValueError, match="preset"):
        preset_values("no-such-preset", 1e-3)


def test_quality_scale_spans_the_published_kodak_points() -> None:
    """Quality 0..100 covers every published 3.0 λ (~27 to ~41 dB on Kodak) with room both sides."""
    import csv
    from pathlib import Path

    from coolchic.api import quality_to_lmbda

    tsv = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "coolchic3" / "kodak-results.tsv"
    with tsv.open() as f:
        lambdas = sorted({float(row["lmbda"]) for row in csv.DictReader(f, delimiter="\t")})
    scale = [quality_to_lmbda(q) for q in range(101)]
    assert all(a > b for a, b in zip(scale, scale[1:]))  # higher quality, lower λ
    assert scale[0] > 2 * lambdas[-1] and scale[100] < lambdas[0]
    # the published points sit well inside the scale, not crowded at one end
    qualities = [min(range(101), key=lambda q: abs(math.log(scale[q] / lam))) for lam in lambdas]
    assert 85 <= qualities[0] <= 97 and 10 <= qualities[-1] <= 25
    assert quality_to_lmbda(60) == pytest.approx(1e-3, rel=0.01)  # the 3.0 default λ
