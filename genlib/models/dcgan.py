"""DCGAN (Radford et al., 2015, arXiv:1511.06434): strided convolutions, BatchNorm, LeakyReLU.

Shape-adaptive: the generator starts from a small map and doubles it two to four
times to reach the dataset's size (8x8 digits, 28x28 MNIST, 32x32 CIFAR, 64x64).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from keras import layers

from ..config import param
from . import register
from .adversarial import AdversarialConfig, AdversarialModel
from .blocks import conv_down, conv_up, upsample_plan


@dataclass(frozen=True)
class DCGANConfig(AdversarialConfig):
    # 64 is DCGAN's width at the image end; 32 trains ~4x faster on CPU (preset "fast").
    filters: int = param(64, "Channels at full resolution; doubled at each step down.", low=4, high=512)
    # Measured on MNIST, 3 epochs: 0.3 left D near chance and the digits blurrier than 0.
    d_dropout: float = param(0.0, "Dropout after each discriminator block.", low=0.0, high=0.9)


@register
@keras.saving.register_keras_serializable(package="genlib")
class DCGAN(AdversarialModel):
    family = "dcgan"
    title = "DCGAN"
    description = "Convolutional GAN: transposed convolutions up, strided convolutions down."
    config_class = DCGANConfig
    presets = {"default": {}, "fast": {"filters": 32}}
    preset_notes = {"default": "64 filters, as in the paper", "fast": "32 filters, about 4x faster on a CPU"}

    def build_networks(self) -> None:
        c = self.config
        z = keras.Input((c.latent_dim,), name="z")
        self.generator = keras.Model(z, conv_up(z, c.image_shape, c.filters, "tanh"), name="generator")
        image = keras.Input(c.image_shape, name="image")
        n_down = upsample_plan(*c.image_shape[:2])[2]
        x = conv_down(image, c.filters, n_down, dropout=c.d_dropout)
        self.discriminator = keras.Model(image, layers.Dense(1, name="logit")(x), name="discriminator")
        self.make_optimizers()
