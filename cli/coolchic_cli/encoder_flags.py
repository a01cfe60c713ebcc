"""Click flags for the encoder: the seed's option names plus quality, preset, device...

The seed flags keep their names and syntax (``--start_lr``, ``--layers_arm 24,24``). Values are passed through as given to :mod:`coolchic.options`, which
validates them; a bad value is a usage error (exit status 2) naming the option.
"""

from __future__ import annotations

from typing import Any, Callable

import click

SEED_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("lmbda", float, "Rate constraint λ: loss = MSE + λ·bpp (default 1e-3). Not with --quality."),
    ("start_lr", float, "Initial learning rate (default 1e-2)."),
    ("layers_synthesis", str, "Synthesis layers <out>-<k>-<linear|residual>-<relu|leakyrelu|gelu|none>,..."),
    ("upsampling_kernel_size", int, "Learned upsampling kernel size (default 8)."),
    ("layers_arm", str, "ARM hidden layer widths, e.g. 24,24."),
    ("n_ctx_rowcol", int, "ARM context rows/columns (default 3)."),
    ("n_ft_per_res", str, "Latent features per resolution, e.g. 1,1,1,1,1,1,1."),
    ("n_itr", int, "Iterations of the main training phase."),
    ("n_train_loops", int, "Independent training runs; the best one is kept."),
    ("workdir", click.Path(file_okay=False), "Folder for training logs."),
)


def preset_names() -> list[str]:
    """Preset names defined by :mod:`coolchic.options`."""
    from coolchic.options import PRESETS

    return sorted(PRESETS)


def _preset_help() -> str:
    from coolchic.options import PRESET_SUMMARIES

    lines = "; ".join(f"{name}: {text}" for name, text in PRESET_SUMMARIES.items())
    return f"Encoder effort ({lines}). Explicit options override the preset's."


def _check_preset(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    names = preset_names()
    if value not in names:
        accepted = ", ".join(names) if names else "none are defined"
        raise click.BadParameter(f"unknown preset {value!r} (accepted: {accepted})", ctx, param)
    return value


def encoder_flags(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add every encoder flag to a command (their values arrive as keyword arguments)."""
    flags = [
        click.option("-Q", "--quality", type=click.IntRange(0, 100), help="Quality 0-100 (JPEG-like; mapped to λ). Not with --lmbda."),
        click.option("--preset", callback=_check_preset, help=_preset_help()),
    ]
    for name, kind, text in SEED_FLAGS:
        flags.append(click.option(f"--{name}", name, type=kind, default=None, help=text))
    flags += [
        click.option("--device", default=None, help="Torch device: cpu (default), cuda, cuda:N."),
        click.option("-j", "--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch."),
        click.option("--seed", type=click.IntRange(min=0), default=None, help="Random seed (reproducible CPU encodes)."),
        click.option("--time-limit", "time_limit", type=click.FloatRange(min=0, min_open=True), default=None,
                     metavar="SECONDS", help="Finish the encode within this time: fewer iterations (never "
                     "more) if this machine's measured training step needs it; training stops in time in any case."),
        click.option("--recipe", type=click.Choice(_recipes()), default=None,
                     help="Training recipe: c3 (Cool-chic 3.0) or lean (shorter; used by the presets)."),
        click.option("--write-best-on-interrupt", "finish_on_interrupt", is_flag=True, default=None,
                     help="On Ctrl-C, stop training and write the best model so far (twice: abort)."),
        click.option("--avoid-zero-scales", "avoid_zero_scales", is_flag=True, default=None,
                     help="No entropy-coder scale 0 in the stream (decodable with constriction >= 0.3.3; "
                     "costs rate at low quality)."),
        click.option("--no-pretrained", "pretrained", flag_value=False, default=None,
                     help="Start every warm-up candidate from random networks (the lean recipe "
                     "otherwise starts two from the package's pretrained networks)."),
    ]
    for flag in reversed(flags):
        func = flag(func)
    return func


ENCODER_KEYS = (
    "quality", "preset", *(name for name, _, _ in SEED_FLAGS), "device", "threads", "seed", "time_limit", "recipe",
    "finish_on_interrupt", "avoid_zero_scales", "pretrained",
)


def _recipes() -> list[str]:
    from coolchic.options import RECIPES

    return list(RECIPES)


def pop_encoder_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Remove the encoder flags from a command's parameters; return those that were given."""
    given = {key: params.pop(key) for key in ENCODER_KEYS if key in params}
    given = {key: value for key, value in given.items() if value is not None}  # None: not given
    if "quality" in given and "lmbda" in given:
        raise click.UsageError("--quality and --lmbda are mutually exclusive")
    if "workdir" in given:
        given["workdir"] = str(given["workdir"])
    return given


def validate(given: dict[str, Any]) -> None:
    """Check the option values up front (before any slow work): usage error on a bad one."""
    from coolchic.devices import check_device
    from coolchic.options import EncoderOptions

    plain = {key: value for key, value in given.items() if key not in ("quality", "preset")}
    try:
        EncoderOptions.from_kwargs(**plain)
        check_device(plain.get("device", "cpu"))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
