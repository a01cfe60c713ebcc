"""The optimiser of one training phase: Adam (3.0) or SOAP for the networks, Adam for latents."""

from __future__ import annotations

import torch

from coolchic.training.model import CoolChicModel
from coolchic.training.schedule import Phase
from coolchic.training.soap import SOAP

ADAM_BETAS = (0.9, 0.999)


def phase_parameters(model: CoolChicModel, phase: Phase) -> list[torch.nn.Parameter]:
    """The parameters a phase trains: the latents only, or everything."""
    return list(model.latents.parameters()) if phase.latents_only else list(model.parameters())


def make_optimizer(model: CoolChicModel, phase: Phase) -> torch.optim.Optimizer:
    """Adam on every trained parameter (3.0), or latents and networks as separate groups.

    ``phase.lr_networks`` (None = ``phase.lr``) sets the networks' learning rate; with
    ``phase.optimizer == "soap"`` the networks' matrices are preconditioned by SOAP while
    the latents keep Adam with 3.0's betas.
    """
    latents = list(model.latents.parameters())
    if phase.latents_only:
        return torch.optim.Adam(latents, lr=phase.lr, foreach=True)
    ids = {id(p) for p in latents}
    networks = [p for p in model.parameters() if id(p) not in ids]
    lr_net = phase.lr if phase.lr_networks is None else phase.lr_networks
    if phase.optimizer == "adam":
        if lr_net == phase.lr:
            return torch.optim.Adam(latents + networks, lr=phase.lr, foreach=True)
        return torch.optim.Adam(
            [{"params": latents, "lr": phase.lr}, {"params": networks, "lr": lr_net}], lr=phase.lr, foreach=True
        )
    return SOAP(
        [
            {"params": latents, "lr": phase.lr, "betas": ADAM_BETAS, "precondition": False},
            {"params": networks, "lr": lr_net},
        ],
        lr=lr_net,
    )
