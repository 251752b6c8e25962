"""The GAN game shared by the GAN families (Goodfellow et al., 2014, arXiv:1406.2661).

The discriminator outputs a logit; a sigmoid turns it into the probability the
tutorials' "sigmoid discriminator" outputs, and binary cross-entropy is computed
from the logit directly, which is the same loss without overflow. The
generator uses the non-saturating loss -log D(G(z)).
"""

from __future__ import annotations

import keras
from keras import ops

from .base import Batch, GenerativeModel, Phase


def bce_with_logits(logits, target: float):
    """Mean binary cross-entropy of sigmoid(logits) against a constant target."""
    return ops.mean(ops.maximum(logits, 0.0) - logits * target + ops.log1p(ops.exp(-ops.abs(logits))))


class AdversarialModel(GenerativeModel):
    """A generator and a discriminator trained in turn, one Adam optimizer each.

    Subclasses build ``self.generator`` and ``self.discriminator``; conditional
    ones also override ``generator_inputs`` and ``discriminator_inputs``.
    """

    loss_names = ("d_loss", "g_loss", "d_real", "d_fake")

    def make_optimizers(self) -> None:
        cfg = self.config
        self.d_optimizer = keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1)
        self.g_optimizer = keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1)

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def generator_inputs(self, z, labels):
        return z

    def discriminator_inputs(self, images, labels):
        return images

    def decode(self, latents, labels=None):
        return self.generator(self.generator_inputs(latents, labels), training=False)

    def _fake(self, batch: Batch):
        n = ops.shape(batch["images"])[0]
        z = keras.random.normal((n, self.config.latent_dim), seed=self.seed_generator)
        return self.generator(self.generator_inputs(z, batch["labels"]), training=True)

    def _logits(self, images, batch: Batch):
        return self.discriminator(self.discriminator_inputs(images, batch["labels"]), training=True)

    def discriminator_loss(self, batch: Batch):
        real = self._logits(batch["images"], batch)
        fake = self._logits(ops.stop_gradient(self._fake(batch)), batch)
        loss = bce_with_logits(real, 1.0) + bce_with_logits(fake, 0.0)
        logs = {"d_loss": loss, "d_real": ops.mean(ops.sigmoid(real)), "d_fake": ops.mean(ops.sigmoid(fake))}
        return loss, logs

    def generator_loss(self, batch: Batch):
        loss = bce_with_logits(self._logits(self._fake(batch), batch), 1.0)
        return loss, {"g_loss": loss}

    def phases(self):
        return [
            Phase("discriminator", self.discriminator.trainable_variables, self.d_optimizer, self.discriminator_loss),
            Phase("generator", self.generator.trainable_variables, self.g_optimizer, self.generator_loss),
        ]
