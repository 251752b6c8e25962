"""The GAN losses, as a table of (discriminator loss, generator loss) pairs.

Every GAN family takes any of them through its ``loss`` field; the discriminator
always outputs one unbounded score per image (a logit), and each entry says how
that score is read:

========================  ===============================================  =========================
name                      D minimises                                      G minimises
========================  ===============================================  =========================
``minimax``               BCE(D(x), 1) + BCE(D(G(z)), 0)                   log(1 - sigmoid(D(G(z))))
``non-saturating``        the same                                         BCE(D(G(z)), 1)
``lsgan``                 ½(D(x) - 1)² + ½ D(G(z))²                        ½(D(G(z)) - 1)²
``hinge``                 relu(1 - D(x)) + relu(1 + D(G(z)))               -D(G(z))
``wgan``, ``wgan-gp``     D(G(z)) - D(x)   (+ the penalty for -gp)         -D(G(z))
========================  ===============================================  =========================

(all averaged over the batch). Sources: minimax and non-saturating, Goodfellow et
al. 2014 (arXiv:1406.2661); least squares, Mao et al. 2017 (arXiv:1611.04076,
the a=0, b=c=1 coding); hinge, Lim & Ye 2017 (arXiv:1705.02894) as used by
Miyato et al. 2018; WGAN with weight clipping, Arjovsky et al. 2017
(arXiv:1701.07875); WGAN-GP, Gulrajani et al. 2017 (arXiv:1704.00028).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class _LazyOps:
    """``keras.ops``, imported at the first loss computed: the table itself (names, presets,
    what a score means) is read by configs and forms that never build a model, and
    importing Keras means importing its backend (seconds with TensorFlow)."""

    def __getattr__(self, name: str):
        from keras import ops as keras_ops

        return getattr(keras_ops, name)


ops = _LazyOps()


def bce_each(logits, target: float):
    """Binary cross-entropy of sigmoid(logits) against a constant target, per score (no overflow)."""
    return ops.maximum(logits, 0.0) - logits * target + ops.log1p(ops.exp(-ops.abs(logits)))


def bce_with_logits(logits, target: float):
    """Mean binary cross-entropy of sigmoid(logits) against a constant target (no overflow)."""
    return ops.mean(bce_each(logits, target))


@dataclass(frozen=True)
class GanLoss:
    name: str
    d_loss: Callable  # (real scores, fake scores, real target) -> scalar
    g_each: Callable  # fake scores -> the generator's loss for each of them (averaged by ``g_loss``)
    # "probability": the score is a logit, sigmoid(score) is D's belief that an image is real;
    # "critic": an unbounded score, higher for real, only differences mean something.
    reads_as: str
    smoothing: bool  # does a real target below 1 (label smoothing) mean something here?
    # D's accuracy counts real scores above this and generated ones at or below it; None: the
    # midpoint of the batch's mean scores, for a critic whose scores' offset means nothing (WGAN).
    accuracy_threshold: float | None = 0.0
    weight_clip: float = 0.0  # clip D's weights to [-c, c] after each update (WGAN)
    gradient_penalty: bool = False  # WGAN-GP's penalty on D's input gradient
    # Optimizer the paper trains with, applied by the family's preset of the same name.
    preset: dict | None = None

    def g_loss(self, fake, weights=None):
        """The generator's loss: the mean over ``fake`` scores, or their ``weights``-weighted mean
        (top-k training weighs the images D rates least real 0)."""
        each = self.g_each(fake)
        if weights is None:
            return ops.mean(each)
        weights = ops.reshape(weights, ops.shape(each))
        return ops.sum(each * weights) / ops.maximum(ops.sum(weights), 1.0)


def _bce_d(real, fake, target):
    return bce_with_logits(real, target) + bce_with_logits(fake, 0.0)


def _lsgan_d(real, fake, target):
    return 0.5 * ops.mean(ops.square(real - target)) + 0.5 * ops.mean(ops.square(fake))


def _hinge_d(real, fake, target):
    return ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake))


def _wasserstein_d(real, fake, target):
    return ops.mean(fake) - ops.mean(real)


def _negated(fake):
    return -fake


LOSSES: dict[str, GanLoss] = {
    loss.name: loss
    for loss in (
        GanLoss(
            "minimax",
            _bce_d,
            lambda fake: -bce_each(fake, 0.0),  # = log(1 - D(G(z))), which G lowers
            "probability",
            smoothing=True,
        ),
        GanLoss(
            "non-saturating",
            _bce_d,
            lambda fake: bce_each(fake, 1.0),
            "probability",
            smoothing=True,
        ),
        GanLoss(
            "lsgan",
            _lsgan_d,
            lambda fake: 0.5 * ops.square(fake - 1.0),
            "critic",
            smoothing=True,
            accuracy_threshold=0.5,  # halfway between its targets, 1 and 0
        ),
        GanLoss("hinge", _hinge_d, _negated, "critic", smoothing=False),
        GanLoss(
            "wgan",
            _wasserstein_d,
            _negated,
            "critic",
            smoothing=False,
            accuracy_threshold=None,
            weight_clip=0.01,  # the paper's c
            # RMSprop at 5e-5 and five critic updates per generator update (Arjovsky et al., Algorithm 1).
            preset={"loss": "wgan", "optimizer": "rmsprop", "learning_rate": 5e-5, "n_critic": 5},
        ),
        GanLoss(
            "wgan-gp",
            _wasserstein_d,
            _negated,
            "critic",
            smoothing=False,
            accuracy_threshold=None,
            gradient_penalty=True,
            # Adam(1e-4, 0, 0.9), five critic updates, penalty weight 10 (Gulrajani et al., Algorithm 1).
            preset={"loss": "wgan-gp", "learning_rate": 1e-4, "beta_1": 0.0, "beta_2": 0.9, "n_critic": 5},
        ),
    )
}


def get_loss(name: str) -> GanLoss:
    return LOSSES[name]
