"""The dcgan family's Keras model: its networks and training step (card and config: ``genlib/models/dcgan.py``)."""

from __future__ import annotations

import keras

from .. import dcgan
from .adversarial import AdversarialModel
from .blocks import logit
from .convnets import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="genlib")
class DCGAN(AdversarialModel):
    card = dcgan.FAMILY

    def build_networks(self) -> None:
        c = self.config
        grow = bool(c.progressive)
        z = keras.Input((c.latent_dim,), name="z")
        out, half = build_generator(z, c, c.image_shape, c.filters, "tanh", progressive=grow)
        self.generator = keras.Model(z, out, name="generator")
        image = keras.Input(c.image_shape, name="image")
        h, w, ch = c.image_shape
        small = keras.Input((h // 2, w // 2, ch), name="image_half") if grow else None
        features, half_features = build_discriminator(image, c, c.image_shape, c.filters, low_inputs=small)
        score = logit(c.spectral_norm)  # one layer, shared by both sizes
        self.discriminator = keras.Model(image, score(features), name="discriminator")
        if grow:
            self.generator_half = keras.Model(z, half, name="generator_half")
            self.discriminator_half = keras.Model(small, score(half_features), name="discriminator_half")
            self.half_size_stage = self.add_weight(
                shape=(), dtype="int32", initializer="ones", trainable=False, name="half_size_stage"
            )
        self.make_optimizers()
