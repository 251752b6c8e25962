"""Conditional VAE (Sohn et al., 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models"): the class goes into both the encoder and the decoder.

The encoder sees the image and its class, so its code need not say which digit it is;
the code keeps the style (slant, thickness), and the decoder draws any class in that
style. ``generate(labels=[3, 3, 8])`` draws the classes you ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from ..config import param
from ..errors import ConfigError
from . import register
from .base import Batch
from .blocks import conv_down, conv_up, dense_to_image, mlp, upsample_plan
from .vae import VAE, VAEConfig


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    num_classes: int = param(10, "Number of classes; set from the dataset.", low=0, high=1000)
    # As for the conditional GAN: enough to separate ten classes, small next to the image.
    embed_dim: int = param(16, "Size of the learned class embedding given to both networks.", low=2, high=256)

    def validate(self) -> None:
        super().validate()
        if self.num_classes < 2:
            raise ConfigError("cvae needs a labelled dataset with at least 2 classes (num_classes >= 2)")


@register
@keras.saving.register_keras_serializable(package="genlib")
class CVAE(VAE):
    family = "cvae"
    title = "Conditional VAE"
    description = "VAE told the class on both sides: the code keeps the style, you pick the class."
    config_class = CVAEConfig
    presets = {"seed": {}, "conv": {"architecture": "conv", "latent_dim": 16}}
    preset_notes = {"seed": "MLP, 400 hidden units, as the VAE seed", "conv": "convolutional, sharper"}
    conditional = True

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
