"""MLP GAN (Goodfellow et al., 2014, arXiv:1406.2661): fully connected networks on flat pixels.

Presets reproduce the two tutorial seeds:
- ``seed-001``: generator 128-256-512 LeakyReLU with tanh output, discriminator
  512-256 with a sigmoid output.
- ``seed-002``: generator 256-512-1024 with BatchNorm and a sigmoid output
  (pixels in [0, 1]), same discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ..config import param
from . import register
from .adversarial import LOSS_PRESET_NOTES, LOSS_PRESETS, AdversarialConfig, AdversarialModel
from .blocks import dense_to_image, logit, mlp


@dataclass(frozen=True)
class GANConfig(AdversarialConfig):
    # Seed 001's generator widths: small enough to train in seconds on CPU.
    g_hidden: tuple[int, ...] = param(
        (128, 256, 512), "Generator hidden layer widths.", low=1, high=6, item_low=8, item_high=4096
    )
    d_hidden: tuple[int, ...] = param(
        (512, 256), "Discriminator hidden layer widths.", low=1, high=6, item_low=8, item_high=4096
    )
    output_activation: str = param(
        "tanh", "Generator output: tanh (pixels in [-1, 1]) or sigmoid ([0, 1]).", choices=("tanh", "sigmoid")
    )
    # 0.2 is the usual LeakyReLU slope for GANs (Radford et al., 2015).
    slope: float = param(0.2, "LeakyReLU negative slope.", low=0.0, high=1.0)


@register
@keras.saving.register_keras_serializable(package="genlib")
class GAN(AdversarialModel):
    family = "gan"
    title = "MLP GAN"
    description = "Fully connected generator and discriminator on flattened pixels: the original GAN."
    config_class = GANConfig
    presets = {
        "seed-001": {},
        "seed-002": {"g_hidden": (256, 512, 1024), "g_batchnorm": True, "output_activation": "sigmoid"},
        **LOSS_PRESETS,
    }
    preset_notes = {
        "seed-001": "the first tutorial's GAN: generator 128-256-512",
        "seed-002": "the second tutorial's: wider generator with BatchNorm",
        **LOSS_PRESET_NOTES,
    }

    @property
    def output_activation(self) -> str:
        return self.config.output_activation

    def build_networks(self) -> None:
        c = self.config
        z = keras.Input((c.latent_dim,), name="z")
        x = mlp(z, c.g_hidden, c.slope, batchnorm=c.g_batchnorm, dropout=c.g_dropout)
        self.generator = keras.Model(z, dense_to_image(x, c.image_shape, c.output_activation), name="generator")
        image = keras.Input(c.image_shape, name="image")
        x = mlp(layers.Flatten()(image), c.d_hidden, c.slope, c.d_batchnorm, c.d_dropout, c.spectral_norm)
        self.discriminator = keras.Model(image, logit(x, c.spectral_norm), name="discriminator")
        self.make_optimizers()
