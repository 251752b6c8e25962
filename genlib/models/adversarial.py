"""The GAN game shared by the GAN families (Goodfellow et al., 2014, arXiv:1406.2661).

The discriminator outputs a logit; a sigmoid turns it into the probability the
tutorials' "sigmoid discriminator" outputs, and binary cross-entropy is computed
from the logit directly, which is the same loss without overflow. The
generator uses the non-saturating loss -log D(G(z)).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from ..config import param
from .base import Batch, GenerativeModel, ModelConfig, Phase
from .blocks import recompute_batchnorm_statistics


@dataclass(frozen=True)
class AdversarialConfig(ModelConfig):
    """Fields every GAN family has."""

    # An exponential moving average of the generator's weights often samples better than
    # the last weights (Yazici et al. 2019, arXiv:1806.04498); 0.999 averages over ~1,000
    # steps. It pays off in long runs: on MNIST it added a little to a 5-minute DCGAN and
    # hurt a 60-second one (docs/BENCHMARKS.md). Off (0) matches the tutorials.
    ema: float = param(
        0.0, "Sample from a moving average of the generator's weights with this decay (0 = off).", low=0.0, high=0.9999
    )
    # One-sided label smoothing (Salimans et al. 2016, arXiv:1606.03498): D aims at
    # 1 - s for real images, so it stays less sure of itself and G keeps a gradient.
    label_smoothing: float = param(
        0.0, "Discriminator's target for real images is 1 minus this (0 = off; 0.1 is common).", low=0.0, high=0.5
    )
    # Two time-scale update rule (Heusel et al. 2017, arXiv:1706.08500): a faster D.
    d_learning_rate: float = param(
        0.0, "Discriminator's Adam learning rate (0 = the same as learning_rate).", low=0.0, high=1e-1
    )


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
        """Optimizers, and the averaged generator when ``ema`` is on; called once the networks exist."""
        cfg = self.config
        self.d_optimizer = keras.optimizers.Adam(cfg.d_learning_rate or cfg.learning_rate, beta_1=cfg.beta_1)
        self.g_optimizer = keras.optimizers.Adam(cfg.learning_rate, beta_1=cfg.beta_1)
        self.ema_generator = None
        if cfg.ema:
            self.ema_generator = keras.models.clone_model(self.generator)
            self.ema_generator.set_weights(self.generator.get_weights())

    def update_ema(self) -> None:
        """After each generator update: average = decay * average + (1 - decay) * weights."""
        decay = self.config.ema
        for avg, w in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            avg.assign(decay * avg + (1.0 - decay) * w)

    def prepare_sampling(self) -> None:
        """Give the averaged generator BatchNorm statistics that match its averaged weights."""
        if self.ema_generator is None:
            return
        n = 2048
        z = np.random.default_rng(0).standard_normal((n, self.config.latent_dim)).astype("float32")
        labels = (np.arange(n) % max(self.config.num_classes, 1)).astype("int32")
        recompute_batchnorm_statistics(self.ema_generator, self.generator_inputs(z, labels))

    @property
    def sampling_network(self) -> keras.Model:
        return self.ema_generator or self.generator

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def generator_inputs(self, z, labels):
        return z

    def discriminator_inputs(self, images, labels):
        return images

    def decode(self, latents, labels=None):
        return self.sampling_network(self.generator_inputs(latents, labels), training=False)

    def _fake(self, batch: Batch):
        n = ops.shape(batch["images"])[0]
        z = keras.random.normal((n, self.config.latent_dim), seed=self.seed_generator)
        return self.generator(self.generator_inputs(z, batch["labels"]), training=True)

    def _logits(self, images, batch: Batch):
        return self.discriminator(self.discriminator_inputs(images, batch["labels"]), training=True)

    def discriminator_loss(self, batch: Batch):
        real = self._logits(batch["images"], batch)
        fake = self._logits(ops.stop_gradient(self._fake(batch)), batch)
        loss = bce_with_logits(real, 1.0 - self.config.label_smoothing) + bce_with_logits(fake, 0.0)
        logs = {"d_loss": loss, "d_real": ops.mean(ops.sigmoid(real)), "d_fake": ops.mean(ops.sigmoid(fake))}
        return loss, logs

    def generator_loss(self, batch: Batch):
        loss = bce_with_logits(self._logits(self._fake(batch), batch), 1.0)
        return loss, {"g_loss": loss}

    def phases(self):
        return [
            Phase("discriminator", self.discriminator.trainable_variables, self.d_optimizer, self.discriminator_loss),
            Phase(
                "generator",
                self.generator.trainable_variables,
                self.g_optimizer,
                self.generator_loss,
                after=self.update_ema if self.ema_generator is not None else None,
            ),
        ]
