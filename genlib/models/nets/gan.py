"""The gan family's Keras model: its networks and training step (card and config: ``genlib/models/gan.py``)."""

from __future__ import annotations

import keras
from keras import layers

from .. import gan
from .adversarial import AdversarialModel
from .blocks import dense_to_image, logit, mlp


@keras.saving.register_keras_serializable(package="genlib")
class GAN(AdversarialModel):
    card = gan.FAMILY

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
        self.discriminator = keras.Model(image, logit(c.spectral_norm)(x), name="discriminator")
        self.make_optimizers()
