"""DCGAN (Radford et al., 2015, arXiv:1511.06434): strided convolutions, BatchNorm, LeakyReLU.

Shape-adaptive: the generator starts from a small map and doubles it two to four
times to reach the dataset's size (8x8 digits, 28x28 MNIST, 32x32 CIFAR, 64x64).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from ..config import param
from . import register
from .adversarial import LOSS_PRESET_NOTES, LOSS_PRESETS, AdversarialConfig, AdversarialModel
from .blocks import conv_down, conv_up, logit, upsample_plan


@dataclass(frozen=True)
class DCGANConfig(AdversarialConfig):
    # 64 is DCGAN's width at the image end; 32 trains ~4x faster on CPU (preset "fast").
    filters: int = param(64, "Channels at full resolution; doubled at each step down.", low=4, high=512)
    # DCGAN's generator normalises every block but the last (Radford et al. 2015).
    g_batchnorm: bool = param(True, "BatchNorm after each generator block.")


@register
@keras.saving.register_keras_serializable(package="genlib")
class DCGAN(AdversarialModel):
    family = "dcgan"
    title = "DCGAN"
    description = "Convolutional GAN: transposed convolutions up, strided convolutions down."
    config_class = DCGANConfig
    presets = {"default": {}, "fast": {"filters": 32}, **LOSS_PRESETS}
    preset_notes = {
        "default": "64 filters, as in the paper",
        "fast": "32 filters, about 4x faster on a CPU",
        **LOSS_PRESET_NOTES,
    }

    def build_networks(self) -> None:
        c = self.config
        z = keras.Input((c.latent_dim,), name="z")
        out = conv_up(z, c.image_shape, c.filters, "tanh", batchnorm=c.g_batchnorm, dropout=c.g_dropout)
        self.generator = keras.Model(z, out, name="generator")
        image = keras.Input(c.image_shape, name="image")
        n_down = upsample_plan(*c.image_shape[:2])[2]
        x = conv_down(image, c.filters, n_down, 0.2, c.d_dropout, c.d_batchnorm, c.spectral_norm)
        self.discriminator = keras.Model(image, logit(x, c.spectral_norm), name="discriminator")
        self.make_optimizers()
