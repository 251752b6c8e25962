"""The vae family's Keras model: its networks and training step (card and config: ``genlib/models/vae.py``)."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from .. import vae
from ..layout import upsample_plan
from .base import Batch, GenerativeModel, Phase
from .blocks import conv_down, conv_up, dense_to_image, mlp


@keras.saving.register_keras_serializable(package="genlib")
class VAE(GenerativeModel):
    card = vae.FAMILY
    output_activation = "sigmoid"

    def build_networks(self) -> None:
        c = self.config
        image = keras.Input(c.image_shape, name="image")
        z = keras.Input((c.latent_dim,), name="z")
        if c.architecture == "mlp":
            h = mlp(layers.Flatten()(image), c.hidden, slope=0.0)
            out = dense_to_image(mlp(z, tuple(reversed(c.hidden)), slope=0.0), c.image_shape, "sigmoid")
        else:
            h = conv_down(image, c.filters, upsample_plan(*c.image_shape[:2])[2])
            out = conv_up(z, c.image_shape, c.filters, "sigmoid")
        stats = [layers.Dense(c.latent_dim, name="z_mean")(h), layers.Dense(c.latent_dim, name="z_log_var")(h)]
        self.encoder = keras.Model(image, stats, name="encoder")
        self.decoder = keras.Model(z, out, name="decoder")
        self.optimizer_ = keras.optimizers.Adam(c.learning_rate, beta_1=c.beta_1)

    def networks(self):
        return {"decoder": self.decoder, "encoder": self.encoder}

    def decode(self, latents, labels=None):
        return self.decoder(latents, training=False)

    # The conditional VAE gives both networks the class too.
    def _encoder_inputs(self, images, labels):
        return images

    def _decoder_inputs(self, latents, labels):
        return latents

    def encode(self, images, labels=None):
        """Latent means for uint8 images (the 2-D latent map uses these); ``labels`` for conditional models."""
        labels = None if labels is None else np.asarray(labels, np.int32)
        mean, _ = self.encoder(self._encoder_inputs(self.to_model_range(images), labels), training=False)
        return ops.convert_to_numpy(mean)

    def reconstruct(self, images, labels=None):
        """uint8 reconstructions of uint8 images through the latent means (given their classes if conditional)."""
        return self.to_uint8(self.decode(self.encode(images, labels), labels))

    def vae_loss(self, batch: Batch):
        return self._elbo(batch["images"], None)

    def _elbo(self, x, labels):
        mean, log_var = self.encoder(self._encoder_inputs(x, labels), training=True)
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        x_hat = self.decoder(self._decoder_inputs(mean + ops.exp(0.5 * log_var) * eps, labels), training=True)
        x_hat = ops.clip(x_hat, 1e-7, 1.0 - 1e-7)
        bce = -(x * ops.log(x_hat) + (1.0 - x) * ops.log(1.0 - x_hat))
        reconstruction = ops.mean(ops.sum(ops.reshape(bce, (ops.shape(x)[0], -1)), axis=1))
        kl = ops.mean(-0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=1))
        loss = reconstruction + self.config.beta * kl
        return loss, {"loss": loss, "reconstruction": reconstruction, "kl": kl}

    def phases(self):
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        return [Phase("vae", variables, self.optimizer_, self.vae_loss)]
