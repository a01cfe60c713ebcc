"""Pretrained networks (:mod:`coolchic.training.pretrained`): stored per preset architecture,
loaded into the lean recipe's first warm-up candidate and its backup (the last one) only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import coolchic
from coolchic.api import encoder_options
from coolchic.c3.payload import read_payload
from coolchic.container import read_container
from coolchic.testcard import render_test_card
from coolchic.training import encoder, pretrained
from coolchic.training.model import CoolChicModel

TINY = dict(n_itr=60, seed=0, threads=1, layers_synthesis="8-1-linear-relu,X-1-linear-none", n_ft_per_res="1,1,1",
            layers_arm="8,8", n_ctx_rowcol=1, recipe="lean")


def test_the_stored_networks_fit_their_preset() -> None:
    for preset in pretrained.SOURCES.values():
        arch = encoder_options(preset=preset).architecture(3)
        state = pretrained.pretrained_state(arch)
        assert state is not None, preset
        model = CoolChicModel(arch, 64, 64, torch.Generator().manual_seed(0))
        pretrained.load_networks(model, state)
        for name, value in state.items():
            assert torch.equal(dict(model.named_parameters())[name], value)


def test_stored_networks_serve_architectures_without_some_resolutions() -> None:
    """Left-out resolutions read as zeros: their columns of the first synthesis layer go."""
    full = encoder_options(preset="fast").architecture(3)
    whole = pretrained.pretrained_state(full)
    assert whole is not None
    for fts, kept in (("0,1,1,1,1,1,1", [1, 2, 3, 4, 5, 6]), ("1,1,0,1,1,1,0", [0, 1, 3, 4, 5])):
        state = pretrained.pretrained_state(encoder_options(preset="fast", n_ft_per_res=fts).architecture(3))
        assert state is not None and state.keys() == whole.keys()
        first = pretrained.FIRST_SYNTHESIS_WEIGHT
        assert torch.equal(state[first], whole[first][:, kept])
        assert all(torch.equal(state[k], whole[k]) for k in whole if k != first)
    assert pretrained.fingerprint(encoder_options(preset="fast", n_ft_per_res="0,1,1,1,1,1,1").architecture(3)) \
        not in (None, pretrained.fingerprint(full))
    for fts in ("2,1,1,1,1,1,1", "1,1,1,1,1,1", "0,1,1,1,1,1,1,1"):  # more channels, other resolution counts
        assert pretrained.pretrained_state(encoder_options(preset="fast", n_ft_per_res=fts).architecture(3)) is None


def test_unknown_architectures_start_at_random() -> None:
    assert pretrained.pretrained_state(encoder_options(**TINY).architecture(3)) is None


def test_stored_networks_go_to_the_first_and_the_backup_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = render_test_card(40, 32)
    frame = read_payload(read_container(coolchic.encode(card, **TINY).data)[2])
    monkeypatch.setattr(pretrained, "FOLDER", tmp_path)
    pretrained.save_networks(frame, tmp_path / "tiny.npz")
    state = pretrained.pretrained_state(frame.architecture)
    assert state is not None
    for name, value in pretrained.frame_networks(frame).items():
        np.testing.assert_array_equal(state[name].numpy(), value)

    loaded: list[CoolChicModel] = []
    warmed: list[tuple[CoolChicModel, float | None]] = []
    run_phase = encoder.run_phase

    def spy(model: CoolChicModel, phase, *args, **kwargs):  # type: ignore[no-untyped-def]
        if phase.name.startswith("warmup"):
            warmed.append((model, phase.lr_networks))
        return run_phase(model, phase, *args, **kwargs)

    monkeypatch.setattr(encoder, "load_networks", lambda model, s: loaded.append(model))
    monkeypatch.setattr(encoder, "run_phase", spy)
    coolchic.encode(card, **TINY)
    # two candidates, both from the stored networks, the second (the backup) warming its
    # networks up at 0.3 x the learning rate
    assert [model for model, _ in warmed] == loaded
    assert [lr for _, lr in warmed] == [None, pytest.approx(0.3 * encoder_options(**TINY).start_lr)]
    coolchic.encode(card, **{**TINY, "pretrained": False})
    coolchic.encode(card, **{**TINY, "recipe": "c3", "n_itr": 10})
    assert len(loaded) == 2


def test_the_fingerprint_follows_the_stored_networks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    card = render_test_card(40, 32)
    first, second = (read_payload(read_container(coolchic.encode(card, **{**TINY, "seed": s}).data)[2])
                     for s in (0, 1))
    monkeypatch.setattr(pretrained, "FOLDER", tmp_path)
    assert pretrained.fingerprint(first.architecture) is None
    pretrained.save_networks(first, tmp_path / "tiny.npz")
    stored_first = pretrained.fingerprint(first.architecture)
    assert stored_first is not None
    pretrained.save_networks(second, tmp_path / "tiny.npz")
    assert pretrained.fingerprint(first.architecture) not in (None, stored_first)
