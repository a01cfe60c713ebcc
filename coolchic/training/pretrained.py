"""Pretrained networks: one warm-up candidate starts from them instead of a random draw.

A Cool-chic encode spends its first iterations teaching a random ARM, upsampling and
synthesis what any image needs. Networks overfitted once to another image are a better
start: on Kodak with the ``fast`` preset they cut the RD loss by 16-40 % at equal time
(``benchmarks/results/recipe_study.md``). The package stores such networks for preset
architectures (:data:`SOURCES`), from encodes of the rendered test card
(:func:`coolchic.testcard.render_test_card`, so no outside image is needed); the ``lean``
recipe gives them to its first warm-up candidate (and, trained at a lower rate, to its last
one as a backup: :attr:`coolchic.training.schedule.Recipe.pretrained_backup_lr`), and the
warm-up keeps whichever candidate trains best. Architectures without stored networks start at random.

Regenerate the files (minutes each; they depend on the training code), all or the named sets::

    .venv/bin/python -m coolchic.training.pretrained [light] [default]
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from coolchic.c3.frame import ARM_Q_STEPS, Architecture, Frame, arm_param_shapes, split_params
from coolchic.model.reconstruct import build_decoder
from coolchic.training.model import CoolChicModel

FOLDER = Path(__file__).with_name("pretrained")
SOURCES = {"light": "fast", "default": "medium"}
"""Stored network sets and the preset whose architecture (and recipe) each one is made with:
``light`` serves ``fast``, ``default`` serves ``medium`` and ``slow``."""
N_ITR, LMBDA, SIZE = 1150, 1e-3, (768, 512)
"""Length, λ and test-card size of the encodes the stored networks come from."""


FIRST_SYNTHESIS_WEIGHT = "synthesis.layers.0.weight"


def _key(arch: Architecture) -> str:
    return json.dumps(asdict(arch), sort_keys=True)


def _kept_inputs(stored_key: str, wanted_key: str) -> list[int] | None:
    """The synthesis inputs of a stored set (architecture ``stored_key``) that the
    architecture ``wanted_key`` keeps, or None if the set does not fit.

    A set fits its own architecture, and one that leaves out whole resolutions
    (``n_ft_per_res`` with 0 where the set has channels): the networks then see those
    resolutions' latents as zeros, the value an all-zero grid gives them.
    """
    stored, wanted = json.loads(stored_key), json.loads(wanted_key)
    stored_fts, wanted_fts = stored.pop("n_ft_per_res"), wanted.pop("n_ft_per_res")
    if stored != wanted or len(stored_fts) != len(wanted_fts):
        return None
    if any(c not in (0, s) for c, s in zip(wanted_fts, stored_fts)):
        return None
    starts = np.cumsum([0, *stored_fts])
    return [i for c, start, s in zip(wanted_fts, starts, stored_fts) if c for i in range(start, start + s)]


def _stored(arch: Architecture) -> dict[str, np.ndarray] | None:
    """The stored arrays for ``arch`` by parameter name, or None if no set fits it
    (:func:`_kept_inputs`)."""
    key = _key(arch)
    for path in sorted(FOLDER.glob("*.npz")):
        with np.load(path) as data:
            kept = _kept_inputs(str(data["architecture"]), key)
            if kept is None:
                continue
            arrays = {name: data[name] for name in data.files if name != "architecture"}
            arrays[FIRST_SYNTHESIS_WEIGHT] = np.ascontiguousarray(arrays[FIRST_SYNTHESIS_WEIGHT][:, kept])
            return arrays
    return None


def pretrained_state(arch: Architecture) -> dict[str, torch.Tensor] | None:
    """The stored network parameters for ``arch`` (state-dict names), or None if there are none."""
    arrays = _stored(arch)
    return None if arrays is None else {name: torch.from_numpy(value) for name, value in arrays.items()}


def fingerprint(arch: Architecture) -> str | None:
    """A short hash of the stored networks for ``arch`` (None if there are none), so that
    benchmark caches keyed on it never reuse points measured with other networks."""
    arrays = _stored(arch)
    if arrays is None:
        return None
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()[:16]


@torch.no_grad()
def load_networks(model: CoolChicModel, state: dict[str, torch.Tensor]) -> None:
    """Copy ``state`` (from :func:`pretrained_state`) into the model's networks; latents untouched."""
    params = dict(model.named_parameters())
    for name, value in state.items():
        params[name].copy_(value)


def frame_networks(frame: Frame) -> dict[str, np.ndarray]:
    """The frame's dequantised networks under the training model's parameter names."""
    arch = frame.architecture
    arm = split_params(frame.arm, arm_param_shapes(arch), ARM_Q_STEPS)
    upsampling, synthesis = build_decoder(frame)
    return {
        **{f"arm.{k}": v for k, v in arm.items()},
        **{f"upsampling.{k}": v.numpy() for k, v in upsampling.state_dict().items()},
        **{f"synthesis.{k}": v.numpy() for k, v in synthesis.state_dict().items()},
    }


def save_networks(frame: Frame, path: Path) -> None:
    """Store the frame's networks and architecture in ``path`` (``.npz``)."""
    np.savez(path, architecture=np.array(_key(frame.architecture)), **frame_networks(frame))


def main(names: list[str]) -> None:
    """Encode the test card with the source preset of each named set (all when none are
    named) and store the trained networks."""
    from coolchic.api import encoder_options
    from coolchic.imageconv import to_planes
    from coolchic.testcard import render_test_card
    from coolchic.training.encoder import fit

    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise SystemExit(f"unknown set(s) {', '.join(unknown)} (stored sets: {', '.join(SOURCES)})")
    FOLDER.mkdir(exist_ok=True)
    planes = to_planes(render_test_card(*SIZE))
    for name, preset in SOURCES.items():
        if names and name not in names:
            continue
        options = encoder_options(preset=preset, n_itr=N_ITR, lmbda=LMBDA, seed=0, threads=1, pretrained=False)
        frame = fit(planes, options)
        save_networks(frame, FOLDER / f"{name}.npz")
        print(f"{FOLDER / name}.npz: networks of {preset} ({N_ITR} iterations) on the test card")


if __name__ == "__main__":
    main(sys.argv[1:])
