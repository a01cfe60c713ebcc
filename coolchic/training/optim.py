"""The optimiser of one training phase: Adam (3.0) or SOAP for the networks, Adam for latents."""

from __future__ import annotations

import torch

from coolchic.training.model import CoolChicModel
from coolchic.training.schedule import ADAM_BETAS, Phase
from coolchic.training.soap import SOAP


def trained_latents(model: CoolChicModel) -> list[torch.nn.Parameter]:
    """The latent grids, less those of resolutions without channels (nothing to train)."""
    return [p for p in model.latents.parameters() if p.numel()]


def phase_parameters(model: CoolChicModel, phase: Phase) -> list[torch.nn.Parameter]:
    """The parameters a phase trains: the latents only, or everything."""
    latents = trained_latents(model)
    return latents if phase.latents_only else latents + network_parameters(model)


def network_parameters(model: CoolChicModel) -> list[torch.nn.Parameter]:
    """The ARM's, the upsampling's and the synthesis' parameters."""
    return [*model.arm.parameters(), *model.upsampling.parameters(), *model.synthesis.parameters()]


def make_optimizer(model: CoolChicModel, phase: Phase) -> torch.optim.Optimizer:
    """The latents in one Adam group, the networks in another: Adam (3.0) or SOAP.

    ``phase.lr_networks`` (None = ``phase.lr``) sets the networks' learning rate; with
    ``phase.optimizer == "soap"`` the networks' matrices are preconditioned by SOAP. The
    latents always get Adam with ``phase.latent_betas``; Adam's networks keep 3.0's betas.
    """
    latents = {"params": trained_latents(model), "lr": phase.lr, "betas": phase.latent_betas}
    if phase.latents_only:
        return torch.optim.Adam([latents], lr=phase.lr, foreach=True)
    networks = network_parameters(model)
    lr_net = phase.lr if phase.lr_networks is None else phase.lr_networks
    if phase.optimizer == "adam":
        return torch.optim.Adam([latents, {"params": networks, "lr": lr_net, "betas": ADAM_BETAS}],
                                lr=phase.lr, foreach=True)
    return SOAP(
        [
            {**latents, "precondition": False},
            {"params": networks, "lr": lr_net},
        ],
        lr=lr_net,
    )
