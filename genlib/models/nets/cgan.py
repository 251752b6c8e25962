"""The cgan family's Keras model: its networks and training step (card and config: ``genlib/models/cgan.py``)."""

from __future__ import annotations

import keras
from keras import layers

from .. import cgan
from .adversarial import AdversarialModel
from .blocks import logit
from .convnets import build_discriminator, build_generator


@keras.saving.register_keras_serializable(package="genlib")
class CGAN(AdversarialModel):
    card = cgan.FAMILY

    def build_networks(self) -> None:
        c = self.config
        h, w, ch = c.image_shape
        z = keras.Input((c.latent_dim,), name="z")
        label = keras.Input((), dtype="int32", name="label")
        embedded = layers.Embedding(c.num_classes, c.embed_dim, name="class_embedding")(label)
        x = layers.Concatenate()([z, embedded])
        out, _ = build_generator(x, c, c.image_shape, c.filters, "tanh")
        self.generator = keras.Model([z, label], out, name="generator")

        image = keras.Input(c.image_shape, name="image")
        d_label = keras.Input((), dtype="int32", name="label")
        plane = layers.Embedding(c.num_classes, h * w, name="class_plane")(d_label)
        x = layers.Concatenate()([image, layers.Reshape((h, w, 1))(plane)])
        features, _ = build_discriminator(x, c, c.image_shape, c.filters)
        self.discriminator = keras.Model([image, d_label], logit(c.spectral_norm)(features), name="discriminator")
        self.make_optimizers()

    def generator_inputs(self, z, labels):
        return [z, labels]

    def discriminator_inputs(self, images, labels):
        return [images, labels]
