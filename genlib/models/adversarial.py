"""The fields every GAN family shares, and what its training step logs (no Keras here).

The discriminator outputs one unbounded score per image; the ``loss`` field picks
how it is read and what each side minimises (``genlib.models.losses``: minimax,
non-saturating, least squares, hinge, WGAN, WGAN-GP). Around the loss, every GAN
family gets the same options, in its config and so on the Model page: several
discriminator updates per generator update, one-sided label smoothing, feature
matching, spectral normalisation, an R1 penalty, a learning-rate schedule, L2 and
L1 weight penalties, BatchNorm and dropout in either network, an EMA generator.
The training step that applies them is in ``nets/adversarial.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import param
from ..data.augment import DIFF_AUGMENT_POLICIES
from ..errors import ConfigError
from .family import LogKey, ModelConfig
from .losses import LOSSES, get_loss

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
        0.0,
        "Sample from a moving average of the generator's weights with this decay (0 = off; a progressive "
        "run starts averaging when it grows to full size).",
        low=0.0,
        high=0.9999,
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
    # Top-k training (Sinha et al. 2020, arXiv:2002.06224): the generator's update uses only the
    # generated images D rates most real, so the worst samples do not pull it toward no digit.
    # The share falls from 1 to this value over the first half of the run (by epochs or time
    # budget); the paper decays it by epochs to a floor of 0.5 to 0.75 of the batch.
    top_k: float = param(
        1.0,
        "Generator learns from this share of each batch's generated images, those D rates most real "
        "(1 = all; reached at half the run).",
        low=0.1,
        high=1.0,
    )
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

    @classmethod
    def unused_fields(cls, values):
        unused = super().unused_fields(values)
        if values.get("loss") != "wgan-gp":
            unused["gp_weight"] = f"used by the wgan-gp loss only, not {values.get('loss')}"
        if not get_loss(values.get("loss", "non-saturating")).smoothing:
            unused["label_smoothing"] = f"the {values.get('loss')} loss has no target probability to soften"
        if values.get("optimizer") == "rmsprop":
            unused["beta_1"] = unused["beta_2"] = "Adam's setting: RMSprop has no such moment"
        return unused

    def validate(self) -> None:
        super().validate()
        loss = get_loss(self.loss)
        if self.label_smoothing and not loss.smoothing:
            raise ConfigError(
                f"label_smoothing means nothing with the {self.loss} loss: its critic has no target "
                "probability to soften. Set it to 0, or pick minimax, non-saturating or lsgan.",
                field="label_smoothing",
            )
        if self.top_k < 1 and self.feature_matching:
            raise ConfigError(
                "top_k needs D's score of each generated image; feature matching compares batch means. "
                "Set top_k to 1 or feature_matching off.",
                field="top_k",
            )
        if self.d_batchnorm and (loss.gradient_penalty or self.r1):
            raise ConfigError(
                "d_batchnorm cannot be on with a gradient penalty (wgan-gp or r1): the penalty is taken "
                "image by image, and BatchNorm mixes the images of a batch. Gulrajani et al. leave it out.",
                field="d_batchnorm",
            )


def adversarial_log_keys(config) -> dict[str, LogKey]:
    """What a GAN family's step logs: the losses, D's view of real and generated images, the penalties."""
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
