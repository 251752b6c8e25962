"""The GAN game shared by the GAN families, and the toolbox that makes it train.

The discriminator outputs one unbounded score per image; the ``loss`` field picks
how it is read and what each side minimises (``genlib.models.losses``: minimax,
non-saturating, least squares, hinge, WGAN, WGAN-GP). Around the loss, every GAN
family gets the same options, in its config and so on the Model page: several
discriminator updates per generator update, one-sided label smoothing, feature
matching, spectral normalisation, an R1 penalty, a learning-rate schedule, L2 and
L1 weight penalties, BatchNorm and dropout in either network, an EMA generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from ..config import param
from ..data.augment import DIFF_AUGMENT_POLICIES, diff_augment
from ..errors import ConfigError
from .base import Batch, GenerativeModel, LogKey, ModelConfig, Phase, input_gradient
from .blocks import recompute_batchnorm_statistics
from .losses import LOSSES, bce_with_logits, get_loss

__all__ = ["AdversarialConfig", "AdversarialModel", "bce_with_logits", "LR_SCHEDULES", "LOSS_PRESETS"]

# Presets every GAN family offers: a loss with the optimizer settings of its paper.
LOSS_PRESETS = {name: loss.preset for name, loss in LOSSES.items() if loss.preset}
LOSS_PRESET_NOTES = {
    "wgan": "Wasserstein loss, weight clipping, RMSprop 5e-5, 5 critic steps (Arjovsky et al.)",
    "wgan-gp": "Wasserstein loss, gradient penalty, Adam(1e-4, 0, 0.9), 5 critic steps (Gulrajani et al.)",
}

# Learning-rate factor at training progress p in [0, 1) (the share of epochs done).
LR_SCHEDULES = {
    "constant": lambda p: 1.0,
    "linear": lambda p: 1.0 - p,  # to zero at the end, as in the CycleGAN/BigGAN recipes
    "cosine": lambda p: 0.5 * (1.0 + math.cos(math.pi * p)),
    "step": lambda p: 0.1 ** ((p >= 0.5) + (p >= 0.75)),  # x0.1 at half way and again at three quarters
}


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
        0.0, "Discriminator's learning rate (0 = the same as learning_rate).", low=0.0, high=1e-1
    )
    loss: str = param(
        "non-saturating",
        "What D and G minimise: minimax, non-saturating, lsgan, hinge, wgan (weight clipping), wgan-gp.",
        choices=tuple(LOSSES),
    )
    # 1 is the tutorials' alternation; WGAN trains the critic 5 times per G update.
    n_critic: int = param(
        1,
        "Discriminator updates per generator update (each on the same real batch, new generated ones).",
        low=1,
        high=10,
    )
    optimizer: str = param(
        "adam", "Optimizer for both networks (WGAN's paper uses RMSprop).", choices=("adam", "rmsprop")
    )
    beta_2: float = param(0.999, "Adam beta_2 (WGAN-GP uses 0.9). Unused by RMSprop.", low=0.0, high=0.9999)
    # Gulrajani et al. use 10 for every dataset they tried.
    gp_weight: float = param(10.0, "Weight of WGAN-GP's gradient penalty (wgan-gp only).", low=0.0, high=1000.0)
    # R1 (Mescheder et al. 2018, arXiv:1801.04406): (gamma/2) E|grad D(x)|^2 on real images.
    r1: float = param(0.0, "R1 penalty weight gamma on D's gradient at real images (0 = off).", low=0.0, high=100.0)
    # Salimans et al. 2016: G matches the mean of D's last hidden features on real and fake.
    feature_matching: bool = param(False, "Generator matches D's features of real images instead of fooling D.")
    spectral_norm: bool = param(False, "Spectral normalisation on every discriminator layer (Miyato et al. 2018).")
    lr_schedule: str = param(
        "constant",
        "Learning rate over the run: constant, linear (to 0), cosine, step (x0.1 at 50% and 75%).",
        choices=tuple(LR_SCHEDULES),
    )
    weight_decay: float = param(
        0.0, "L2 penalty on both networks' weights (sum of squares times this).", low=0.0, high=1.0
    )
    l1: float = param(0.0, "L1 penalty on both networks' weights (sum of magnitudes times this).", low=0.0, high=1.0)
    g_batchnorm: bool = param(False, "BatchNorm after each generator layer.")
    d_batchnorm: bool = param(False, "BatchNorm in the discriminator (not with wgan-gp or r1).")
    g_dropout: float = param(0.0, "Dropout after each generator layer.", low=0.0, high=0.9)
    d_dropout: float = param(0.0, "Dropout after each discriminator layer.", low=0.0, high=0.9)
    # Zhao et al. 2020 (arXiv:2006.10738) use color,translation,cutout at 10% of CIFAR-10 and
    # translation,cutout on small grey images; both sides of D see the same kind of changes.
    diff_augment: str = param(
        "off",
        "DiffAugment: the same random changes to real and generated images before D (helps on small datasets).",
        choices=DIFF_AUGMENT_POLICIES,
    )

    def validate(self) -> None:
        super().validate()
        loss = get_loss(self.loss)
        if self.label_smoothing and not loss.smoothing:
            raise ConfigError(
                f"label_smoothing means nothing with the {self.loss} loss: its critic has no target "
                "probability to soften. Set it to 0, or pick minimax, non-saturating or lsgan.",
                field="label_smoothing",
            )
        if self.d_batchnorm and (loss.gradient_penalty or self.r1):
            raise ConfigError(
                "d_batchnorm cannot be on with a gradient penalty (wgan-gp or r1): the penalty is taken "
                "image by image, and BatchNorm mixes the images of a batch. Gulrajani et al. leave it out.",
                field="d_batchnorm",
            )


class AdversarialModel(GenerativeModel):
    """A generator and a discriminator trained in turn, one optimizer each.

    Subclasses build ``self.generator`` and ``self.discriminator`` (whose last layer
    is ``blocks.logit``); conditional ones also override ``generator_inputs`` and
    ``discriminator_inputs``.
    """

    @classmethod
    def log_keys(cls, config) -> dict[str, LogKey]:
        loss = get_loss(config.loss)
        critic = loss.reads_as == "critic"
        keys = {
            "d_loss": LogKey("loss", "critic loss" if critic else "discriminator loss"),
            "g_loss": LogKey("loss", "generator loss"),
        }
        if critic:
            keys["d_real"] = LogKey("score", "critic score of real images")
            keys["d_fake"] = LogKey("score", "critic score of generated images")
            keys["critic_gap"] = LogKey("score", "critic gap (real - generated)")
        else:
            keys["d_real"] = LogKey("probability", "D(x): real images judged real")
            keys["d_fake"] = LogKey("probability", "D(G(z)): generated images judged real")
        keys["d_acc"] = LogKey(
            "accuracy",
            "discriminator accuracy (against the midpoint of its scores)"
            if loss.accuracy_threshold is None
            else "discriminator accuracy",
        )
        if loss.gradient_penalty:
            keys["gp"] = LogKey("penalty", "gradient penalty")
        if config.r1:
            keys["r1"] = LogKey("penalty", "R1 penalty")
        if config.feature_matching:
            keys["g_loss"] = LogKey("loss", "generator loss (feature matching)")
        return keys

    def make_optimizers(self) -> None:
        """Optimizers, and the averaged generator when ``ema`` is on; called once the networks exist."""
        cfg = self.config
        self.d_optimizer = self._optimizer(cfg.d_learning_rate or cfg.learning_rate)
        self.g_optimizer = self._optimizer(cfg.learning_rate)
        self.ema_generator = None
        if cfg.ema:
            self.ema_generator = keras.models.clone_model(self.generator)
            self.ema_generator.set_weights(self.generator.get_weights())

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

    def update_ema(self) -> None:
        """After each generator update: average = decay * average + (1 - decay) * weights."""
        decay = self.config.ema
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
            loss = get_loss(cfg.loss).g_loss(self._logits(fake_images, batch))
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
