"""The cvae family's Keras model: its networks and training step (card and config: ``genlib/models/cvae.py``)."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from .. import cvae
from ..layout import upsample_plan
from .base import Batch
from .blocks import conv_down, conv_up, dense_to_image, mlp
from .vae import VAE


@keras.saving.register_keras_serializable(package="genlib")
class CVAE(VAE):
    card = cvae.FAMILY

    def build_networks(self) -> None:
        c = self.config
        h, w, ch = c.image_shape
        image = keras.Input(c.image_shape, name="image")
        label = keras.Input((), dtype="int32", name="label")
        z = keras.Input((c.latent_dim,), name="z")
        z_label = keras.Input((), dtype="int32", name="label")
        embedded = layers.Embedding(c.num_classes, c.embed_dim, name="class_embedding")(z_label)
        code = layers.Concatenate()([z, embedded])
        if c.architecture == "mlp":
            enc_embedded = layers.Embedding(c.num_classes, c.embed_dim, name="encoder_class_embedding")(label)
            x = layers.Concatenate()([layers.Flatten()(image), enc_embedded])
            hidden = mlp(x, c.hidden, slope=0.0)
            out = dense_to_image(mlp(code, tuple(reversed(c.hidden)), slope=0.0), c.image_shape, "sigmoid")
        else:
            plane = layers.Embedding(c.num_classes, h * w, name="class_plane")(label)
            x = layers.Concatenate()([image, layers.Reshape((h, w, 1))(plane)])
            hidden = conv_down(x, c.filters, upsample_plan(h, w)[2])
            out = conv_up(code, c.image_shape, c.filters, "sigmoid")
        stats = [
            layers.Dense(c.latent_dim, name="z_mean")(hidden),
            layers.Dense(c.latent_dim, name="z_log_var")(hidden),
        ]
        self.encoder = keras.Model([image, label], stats, name="encoder")
        self.decoder = keras.Model([z, z_label], out, name="decoder")
        self.optimizer_ = keras.optimizers.Adam(c.learning_rate, beta_1=c.beta_1)

    def _encoder_inputs(self, images, labels):
        return [ops.convert_to_tensor(images), ops.convert_to_tensor(labels, "int32")]

    def _decoder_inputs(self, latents, labels):
        return [latents, labels]

    def decode(self, latents, labels=None):
        if labels is None:
            labels = np.arange(len(latents)) % self.config.num_classes
        return self.decoder([ops.convert_to_tensor(latents), ops.convert_to_tensor(labels, "int32")], training=False)

    def vae_loss(self, batch: Batch):
        return self._elbo(batch["images"], batch["labels"])
