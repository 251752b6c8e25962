"""What a model family is, without its networks: the card the registry lists.

A :class:`Family` card holds everything the app and the CLI show or check before a
model exists: the title, the presets, the config class and what a run logs. It is
plain Python, so listing families, validating a link's fields or drawing the Model
page's form never imports Keras (and so TensorFlow, several seconds on a small
machine). The card names its Keras model class, which is imported only to build or
load a model (``genlib/models/nets/``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import BaseConfig, param


@dataclass(frozen=True)
class ModelConfig(BaseConfig):
    """Fields every family has. image_shape and num_classes come from the dataset."""

    image_shape: tuple[int, ...] = param(
        (28, 28, 1), "Image height, width, channels; set from the dataset.", low=3, high=3, item_low=1, item_high=64
    )
    num_classes: int = param(
        0, "Number of classes in the dataset (0 = unlabelled); set from the dataset.", low=0, high=1000
    )
    # 100 is the latent size used by the original GAN/DCGAN tutorials.
    latent_dim: int = param(100, "Size of the random vector z the generator starts from.", low=2, high=512)
    # 2e-4 with beta_1 = 0.5 are the DCGAN paper's Adam settings, stable for most GANs.
    learning_rate: float = param(
        2e-4, "Learning rate of the optimizer (Adam unless a GAN picks RMSprop).", low=1e-6, high=1e-1
    )
    beta_1: float = param(
        0.5, "Adam beta_1 (momentum); 0.5 damps GAN oscillations. Unused by RMSprop.", low=0.0, high=0.999
    )
    # 1 draws latents as in training. Below 1 is the "truncation trick" (Brock et al.
    # 2018, arXiv:1809.11096): cleaner, more typical samples, less variety.
    sample_std: float = param(
        1.0, "Spread of the latent vectors drawn when sampling (training always uses 1).", low=0.1, high=2.0
    )

    def validate(self) -> None:
        h, w, c = self.image_shape
        from ..data.dataset import check_side
        from ..errors import ConfigError, DatasetError

        try:
            check_side(h, w)
        except DatasetError as exc:
            raise ConfigError(f"image_shape: {exc}") from None
        if c not in (1, 3):
            raise ConfigError(f"image_shape must have 1 or 3 channels, got {c}")


@dataclass(frozen=True)
class LogKey:
    """What a logged value is, so charts, tables, the CLI and the health rules can read it unnamed.

    kind: "loss", "penalty", "probability" (0-1, D's belief), "score" (an unbounded critic
    output), "accuracy" (0-1) or "learning_rate".
    """

    kind: str
    label: str


@dataclass(frozen=True, eq=False)
class Family:
    """One model family as the registry lists it. Register it with ``genlib.models.register``."""

    name: str  # the config.json and CLI name, e.g. "dcgan"
    title: str  # for people, e.g. "DCGAN"
    description: str  # one line
    config_class: type[ModelConfig]
    model: str  # "module:Class" of its Keras model (a ``nets.base.GenerativeModel``)
    presets: dict[str, dict] = field(default_factory=dict)  # name -> field overrides; the first is the default
    preset_notes: dict[str, str] = field(default_factory=dict)  # one line per preset, for menus
    conditional: bool = False  # needs labels to train and to generate
    adversarial: bool = False  # a generator and a discriminator (the GAN toolbox applies)
    # The keys a train step logs and what they are, for a config; the default calls each of
    # ``loss_names`` a loss.
    loss_names: tuple[str, ...] = ()
    describe_logs: Callable[[ModelConfig], dict[str, LogKey]] | None = None

    def log_keys(self, config: ModelConfig) -> dict[str, LogKey]:
        """The values a train step logs for this config, each with its kind and a label."""
        if self.describe_logs is not None:
            return self.describe_logs(config)
        return {k: LogKey("loss", k.replace("_", " ")) for k in self.loss_names}

    @property
    def model_class(self) -> type:
        """The Keras model class (imports Keras, and with it the backend, on first use)."""
        module, _, name = self.model.partition(":")
        return getattr(importlib.import_module(module), name)
