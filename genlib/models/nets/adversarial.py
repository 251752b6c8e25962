"""The GAN game shared by the GAN families: the training step behind ``models/adversarial.py``'s fields.

A generator and a discriminator, one optimizer each, trained in turn through the
family's loss (``genlib.models.losses``), with the toolbox every GAN family gets:
several critic updates, label smoothing, feature matching, penalties, weight decay,
a learning-rate schedule, an EMA generator, DiffAugment and progressive growing.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ...data.augment import diff_augment
from ..adversarial import LR_SCHEDULES
from ..losses import get_loss
from .base import Batch, GenerativeModel, Phase, input_gradient
from .blocks import recompute_batchnorm_statistics


class AdversarialModel(GenerativeModel):
    """A generator and a discriminator trained in turn, one optimizer each.

    Subclasses build ``self.generator`` and ``self.discriminator`` (whose last layer
    is ``blocks.logit``); conditional ones also override ``generator_inputs`` and
    ``discriminator_inputs``.
    """

    def make_optimizers(self) -> None:
        """Optimizers, and the averaged generator when ``ema`` is on; called once the networks exist."""
        cfg = self.config
        self.d_optimizer = self._optimizer(cfg.d_learning_rate or cfg.learning_rate)
        self.g_optimizer = self._optimizer(cfg.learning_rate)
        self.top_k_share = None
        if cfg.top_k < 1:  # set from the run's progress (``set_training_progress``); saved with the weights
            self.top_k_share = self.add_weight(
                shape=(), dtype="float32", initializer="ones", trainable=False, name="top_k_share"
            )
        self.ema_generator = self.ema_start = None
        if cfg.ema:
            self.ema_generator = keras.models.clone_model(self.generator)
            self.ema_generator.set_weights(self.generator.get_weights())
            if self.generator_half is not None:  # progressive: the average starts again at full size (``grow``)
                self.ema_start = self.add_weight(
                    shape=(), dtype="float32", initializer="zeros", trainable=False, name="ema_start"
                )

    def _optimizer(self, learning_rate: float):
        cfg = self.config
        if cfg.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(learning_rate)
        return keras.optimizers.Adam(learning_rate, beta_1=cfg.beta_1, beta_2=cfg.beta_2)

    def learning_rates(self):
        cfg = self.config
        return [(self.d_optimizer, cfg.d_learning_rate or cfg.learning_rate), (self.g_optimizer, cfg.learning_rate)]

    def lr_factor(self, progress: float) -> float:
        return LR_SCHEDULES[self.config.lr_schedule](progress)

    def set_training_progress(self, progress: float) -> float:
        if self.top_k_share is not None:  # from all of the batch at the start to top_k at half way
            self.top_k_share.assign(1.0 - (1.0 - self.config.top_k) * min(1.0, 2.0 * progress))
        return super().set_training_progress(progress)

    def _top_k_weights(self, scores):
        """1 for the ``top_k_share`` of ``scores`` that are highest (at least one), 0 for the rest."""
        flat = ops.reshape(scores, (-1,))
        n = ops.shape(flat)[0]
        k = ops.maximum(ops.cast(ops.round(self.top_k_share * ops.cast(n, "float32")), "int32"), 1)
        rank = ops.argsort(ops.argsort(-flat))  # 0 for the highest score
        return ops.cast(rank < k, "float32")

    def update_ema(self) -> None:
        """After each generator update: average = decay * average + (1 - decay) * weights.

        The decay starts low and rises to ``ema``: (1 + t) / (10 + t) after t updates, as in
        TensorFlow's ExponentialMovingAverage with ``num_updates``. A fixed 0.999 from the first
        update keeps 86% of the random initial weights after 150 updates and 1.5% after 4,200 (a
        5-minute run on a 2-core CPU); this way their share is below 1e-5 after 20 updates.
        """
        t = ops.cast(self.g_optimizer.iterations, "float32")
        if self.ema_start is not None:  # counted from where a progressive run grew to full size
            t = t - self.ema_start
        decay = ops.minimum(self.config.ema, (1.0 + t) / (10.0 + t))
        for avg, w in zip(self.ema_generator.weights, self.generator.weights, strict=True):
            avg.assign(decay * avg + (1.0 - decay) * w)

    def clip_discriminator(self) -> None:
        """WGAN: after each critic update, clip every weight to [-c, c]."""
        c = get_loss(self.config.loss).weight_clip
        for v in self._in_use[1].trainable_variables:
            v.assign(ops.clip(v, -c, c))

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
        """The network that draws images: in a progressive first stage, the half-size generator
        with its output enlarged 2x (what ``decode`` does), so a saved generator draws what the grids show."""
        if self.half_size:
            half = self.generator_half
            enlarged = keras.layers.UpSampling2D(2, name="enlarge")(half.outputs[0])
            inputs = half.inputs[0] if len(half.inputs) == 1 else half.inputs
            return keras.Model(inputs, enlarged, name="generator_half_enlarged")
        return self.ema_generator or self.generator

    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def generator_inputs(self, z, labels):
        return z

    def discriminator_inputs(self, images, labels):
        return images

    def decode(self, latents, labels=None):
        if self.half_size:  # a progressive run's first stage: its half-size images, shown at full size
            small = self.generator_half(self.generator_inputs(latents, labels), training=False)
            return ops.repeat(ops.repeat(small, 2, axis=1), 2, axis=2)
        return self.sampling_network(self.generator_inputs(latents, labels), training=False)

    # -- progressive training: half-size networks first --------------------------
    # A family that supports it builds ``generator_half`` / ``discriminator_half`` (sharing every
    # layer but the image ends with the full-size ones) and the ``half_size_stage`` flag.
    generator_half = None
    discriminator_half = None

    @property
    def half_size(self) -> bool:
        """True while a progressive run trains its half-size networks (read from the saved flag)."""
        return self.generator_half is not None and bool(int(ops.convert_to_numpy(self.half_size_stage)))

    @property
    def trained_side(self) -> int:
        side = self.config.image_shape[0]
        return side // 2 if self.half_size else side

    def grow(self, progress: float) -> bool:
        """Leave the half-size stage once ``progressive`` of the training is done; never go back to it."""
        if not self.half_size or progress < self.config.progressive:
            return False
        self.half_size_stage.assign(0)
        if self.ema_generator is not None:
            # The half-size stage trained a generator the full-size one only partly shares: average
            # the full-size generator from here on, warming up again from its weights now.
            self.ema_generator.set_weights(self.generator.get_weights())
            self.ema_start.assign(ops.cast(self.g_optimizer.iterations, "float32"))
        return True

    @property
    def _in_use(self):
        """(generator, discriminator) the losses use: as fixed by the last ``phases()``, else the current stage's."""
        return self.__dict__.get("_in_use_nets") or self._networks_in_use()

    def _networks_in_use(self):
        return (
            (self.generator_half, self.discriminator_half) if self.half_size else (self.generator, self.discriminator)
        )

    def optimizer_variables(self):
        def union(*nets):
            seen, out = set(), []
            for net in nets:
                for v in net.trainable_variables if net is not None else ():
                    if id(v) not in seen:
                        seen.add(id(v))
                        out.append(v)
            return out

        return [
            (self.d_optimizer, union(self.discriminator, self.discriminator_half)),
            (self.g_optimizer, union(self.generator, self.generator_half)),
        ]

    # -- the step ------------------------------------------------------------
    def _real(self, batch: Batch):
        """The batch's real images as D sees them: halved (2x2 means) in a progressive first stage."""
        x = batch["images"]
        if self._in_use[0] is self.generator_half:
            x = ops.average_pool(x, 2, 2, padding="valid")
        return x

    def _fake(self, batch: Batch):
        n = ops.shape(batch["images"])[0]
        z = keras.random.normal((n, self.config.latent_dim), seed=self.seed_generator)
        return self._in_use[0](self.generator_inputs(z, batch["labels"]), training=True)

    def _logits(self, images, batch: Batch):
        images = diff_augment(images, self.config.diff_augment, self.seed_generator, span=2.0)
        return self._in_use[1](self.discriminator_inputs(images, batch["labels"]), training=True)

    def _features(self, images, batch: Batch):
        """D's last hidden layer (the input of its logit), for feature matching."""
        net = self.__dict__.get("_feature_net")
        if net is None:
            last = next(layer for layer in self.discriminator.layers if layer.name in ("logit", "logit_sn"))
            net = keras.Model(self.discriminator.inputs, last.input, name="discriminator_features")
            object.__setattr__(self, "_feature_net", net)  # not tracked: its layers are the discriminator's
        images = diff_augment(images, self.config.diff_augment, self.seed_generator, span=2.0)
        return net(self.discriminator_inputs(images, batch["labels"]), training=True)

    def _weight_penalty(self, variables):
        """L2 and L1 on the kernels (weights with two or more axes; not biases or BatchNorm)."""
        cfg = self.config
        kernels = [v for v in variables if len(v.shape) >= 2]
        total = 0.0
        if cfg.weight_decay:
            total += cfg.weight_decay * sum(ops.sum(ops.square(v)) for v in kernels)
        if cfg.l1:
            total += cfg.l1 * sum(ops.sum(ops.abs(v)) for v in kernels)
        return total

    def discriminator_loss(self, batch: Batch):
        cfg = self.config
        rule = get_loss(cfg.loss)
        real_images = self._real(batch)
        fake_images = ops.stop_gradient(self._fake(batch))
        real = self._logits(real_images, batch)
        fake = self._logits(fake_images, batch)
        loss = rule.d_loss(real, fake, 1.0 - cfg.label_smoothing)
        logs = {"d_loss": loss}
        if rule.reads_as == "critic":
            logs.update(d_real=ops.mean(real), d_fake=ops.mean(fake), critic_gap=ops.mean(real) - ops.mean(fake))
        else:
            logs.update(d_real=ops.mean(ops.sigmoid(real)), d_fake=ops.mean(ops.sigmoid(fake)))
        threshold = rule.accuracy_threshold
        if threshold is None:
            threshold = ops.stop_gradient(0.5 * (ops.mean(real) + ops.mean(fake)))
        hits = ops.concatenate([ops.cast(real > threshold, "float32"), ops.cast(fake <= threshold, "float32")])
        logs["d_acc"] = ops.mean(hits)
        if rule.gradient_penalty:
            gp = self._gradient_penalty(real_images, fake_images, batch)
            loss = loss + cfg.gp_weight * gp
            logs["gp"] = gp
        if cfg.r1:
            grad = input_gradient(lambda x: ops.sum(self._logits(x, batch)), real_images)
            r1 = ops.mean(ops.sum(ops.square(grad), axis=tuple(range(1, len(real_images.shape)))))
            loss = loss + 0.5 * cfg.r1 * r1
            logs["r1"] = r1
        return loss + self._weight_penalty(self._in_use[1].trainable_variables), logs

    def _gradient_penalty(self, real, fake, batch: Batch):
        """E[(|grad D(x_hat)| - 1)^2] at x_hat = a x + (1 - a) G(z), a ~ U(0, 1) per image."""
        n = ops.shape(real)[0]
        shape = (n,) + (1,) * (len(real.shape) - 1)
        alpha = keras.random.uniform(shape, seed=self.seed_generator)
        mixed = alpha * real + (1.0 - alpha) * fake
        grad = input_gradient(lambda x: ops.sum(self._logits(x, batch)), mixed)
        # epsilon inside the root: the norm's gradient is finite where the input gradient is zero
        norm = ops.sqrt(ops.sum(ops.square(grad), axis=tuple(range(1, len(real.shape)))) + 1e-12)
        return ops.mean(ops.square(norm - 1.0))

    def generator_loss(self, batch: Batch):
        cfg = self.config
        fake_images = self._fake(batch)
        if cfg.feature_matching:
            real = ops.mean(self._features(self._real(batch), batch), axis=0)
            fake = ops.mean(self._features(fake_images, batch), axis=0)
            loss = ops.sum(ops.square(ops.stop_gradient(real) - fake))
        else:
            scores = self._logits(fake_images, batch)
            weights = None if self.top_k_share is None else ops.stop_gradient(self._top_k_weights(scores))
            loss = get_loss(cfg.loss).g_loss(scores, weights)
        return loss + self._weight_penalty(self._in_use[0].trainable_variables), {"g_loss": loss}

    def phases(self):
        """The D and G updates of the networks in use now (the trainer compiles the step again when they change)."""
        clip = get_loss(self.config.loss).weight_clip
        generator, discriminator = self._networks_in_use()
        object.__setattr__(self, "_in_use_nets", (generator, discriminator))  # read while tracing; not tracked
        return [
            Phase(
                "discriminator",
                discriminator.trainable_variables,
                self.d_optimizer,
                self.discriminator_loss,
                after=self.clip_discriminator if clip else None,
                repeat=self.config.n_critic,
            ),
            Phase(
                "generator",
                generator.trainable_variables,
                self.g_optimizer,
                self.generator_loss,
                after=self.update_ema if self.ema_generator is not None else None,
            ),
        ]
