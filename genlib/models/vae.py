"""Variational autoencoder (Kingma & Welling, 2013, arXiv:1312.6114).

Loss = reconstruction (binary cross-entropy summed over pixels) + beta * KL
divergence of q(z|x) from N(0, I), averaged over the batch; both terms are
logged. Preset ``seed`` is the tutorial's MLP 784-400-20; ``conv`` uses strided
convolutions and adapts to the image size.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import param
from . import register
from .family import Family, ModelConfig


@dataclass(frozen=True)
class VAEConfig(ModelConfig):
    # The tutorial seed's 20-d latent: enough for digits, small enough to inspect.
    latent_dim: int = param(20, "Size of the latent code z.", low=2, high=512)
    # Adam's default rate suits the VAE's smooth likelihood loss.
    learning_rate: float = param(1e-3, "Adam learning rate.", low=1e-6, high=1e-1)
    beta_1: float = param(0.9, "Adam beta_1 (momentum).", low=0.0, high=0.999)
    architecture: str = param(
        "mlp", "mlp: dense layers on flat pixels; conv: strided convolutions.", choices=("mlp", "conv")
    )
    hidden: tuple[int, ...] = param(
        (400,), "Hidden widths of the MLP encoder (decoder mirrors them).", low=1, high=6, item_low=8, item_high=4096
    )
    filters: int = param(32, "Conv variant: channels at full resolution.", low=4, high=512)
    # beta = 1 is the plain VAE; larger values trade sharpness for a smoother latent space.
    beta: float = param(1.0, "Weight of the KL term (beta-VAE).", low=0.0, high=100.0)


FAMILY = register(
    Family(
        name="vae",
        title="VAE",
        description="Encoder to a Gaussian latent code, decoder back to pixels; loss = reconstruction + KL.",
        config_class=VAEConfig,
        presets={"seed": {}, "conv": {"architecture": "conv", "latent_dim": 16}},
        preset_notes={"seed": "the tutorial's MLP VAE, 400 hidden units", "conv": "convolutional, sharper"},
        loss_names=("loss", "reconstruction", "kl"),
        model="genlib.models.nets.vae:VAE",
    )
)
