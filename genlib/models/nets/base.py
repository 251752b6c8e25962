"""What every family's Keras model shares: a keras.Model that trains itself.

A family's model class subclasses :class:`GenerativeModel`, names its card (the
``Family`` from its file in ``genlib/models/``), builds its networks in
``build_networks``, and describes one training step as a list of
:class:`Phase` objects (which variables, which optimizer, which loss). The
backend file in ``genlib/training/backends/`` turns phases into gradient
updates, so family code stays backend-neutral (``keras.ops`` only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from ..family import Family, ModelConfig
from .blocks import network_table

Batch = dict  # {"images": float tensor in the model's range, "labels": int tensor}
LossFn = Callable[[Batch], tuple[Any, dict[str, Any]]]


@dataclass
class Phase:
    """One gradient update: minimise ``loss_fn`` over ``variables`` with ``optimizer``, ``repeat`` times."""

    name: str
    variables: list
    optimizer: keras.optimizers.Optimizer
    loss_fn: LossFn
    after: Callable[[], None] | None = None  # runs after each update (e.g. a weight average)
    repeat: int = 1  # e.g. several critic updates per generator update; the last update's logs are kept


def input_gradient(fn, x):
    """d sum(fn(x)) / dx, differentiable again (for penalties on D's input gradient); from the backend."""
    from ...training.backends import backend

    return backend().input_gradient(fn, x)


class GenerativeModel(keras.Model):
    """Base for all families: networks, optimizers, seeded sampling, summaries.

    Subclasses set ``card`` and implement ``build_networks``, ``phases`` and ``decode``.
    """

    card: ClassVar[Family]
    output_activation: str = "tanh"  # tanh -> pixels in [-1, 1]; sigmoid -> [0, 1]

    def __init__(self, config: ModelConfig | dict | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(config, ModelConfig):
            config = self.card.config_class.from_dict(config or {})
        self.config = config
        self.build_networks()
        self.seed_generator = keras.random.SeedGenerator(0)
        # Counted by the trainer and saved with the weights, so a checkpoint knows its epoch.
        self.trained_epochs = self.add_weight(
            shape=(), dtype="int32", initializer="zeros", trainable=False, name="trained_epochs"
        )
        # Optimizers are built now so that loading a checkpoint restores their state.
        for optimizer, variables in self.optimizer_variables():
            optimizer.build(variables)
        self.built = True

    # -- to implement ---------------------------------------------------
    def build_networks(self) -> None:
        raise NotImplementedError

    def phases(self) -> list[Phase]:
        raise NotImplementedError

    def networks(self) -> dict[str, keras.Model]:
        raise NotImplementedError

    def decode(self, latents, labels=None):
        """Images in the model's range from latent vectors (and labels if conditional)."""
        raise NotImplementedError

    def prepare_sampling(self) -> None:
        """Bring whatever sampling uses up to date; the trainer calls it before each epoch's grid and checkpoint."""

    def optimizer_variables(self) -> list[tuple[keras.optimizers.Optimizer, list]]:
        """Each optimizer with every variable it will ever update (over all training stages)."""
        return [(phase.optimizer, phase.variables) for phase in self.phases()]

    def grow(self, progress: float) -> bool:
        """Enter the training stage for ``progress`` (the share of training done, by epochs or by the
        time budget); True if the networks in use changed, so the trainer compiles the step again.
        Single-stage families never change."""
        return False

    @property
    def trained_side(self) -> int:
        """The image side the networks are trained at now (below the data's in a progressive first stage)."""
        return self.config.image_shape[0]

    def learning_rates(self) -> list[tuple[keras.optimizers.Optimizer, float]]:
        """Each optimizer with its configured (undecayed) learning rate."""
        seen, out = set(), []
        for phase in self.phases():
            if id(phase.optimizer) not in seen:
                seen.add(id(phase.optimizer))
                out.append((phase.optimizer, self.config.learning_rate))
        return out

    def lr_factor(self, progress: float) -> float:
        """The schedule's factor at ``progress`` (share of training done); constant unless a family has one."""
        return 1.0

    def set_training_progress(self, progress: float) -> float:
        """Set every optimizer's learning rate for this point of the run; return the main (generator) rate."""
        factor = self.lr_factor(progress)
        rates = self.learning_rates()
        for optimizer, base in rates:
            optimizer.learning_rate.assign(base * factor)
        return rates[-1][1] * factor

    # -- shared behaviour ----------------------------------------------
    @property
    def family(self) -> str:
        return self.card.name

    @property
    def title(self) -> str:
        return self.card.title

    @property
    def conditional(self) -> bool:
        return self.card.conditional

    @property
    def sampling_network(self) -> keras.Model:
        """The network that turns latents into images (saved alone as generator.keras)."""
        return next(iter(self.networks().values()))

    def get_config(self) -> dict:
        return {"name": self.name, "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config: dict) -> "GenerativeModel":
        return cls(cls.card.config_class.from_dict(config["config"]), name=config.get("name"))

    def uint8_to_model_range(self, images):
        """``to_model_range`` for a tensor inside a compiled step."""
        x = ops.cast(images, "float32") / 255.0
        return x * 2.0 - 1.0 if self.output_activation == "tanh" else x

    def to_model_range(self, images_uint8: np.ndarray) -> np.ndarray:
        x = np.asarray(images_uint8, np.float32) / 255.0
        return x * 2.0 - 1.0 if self.output_activation == "tanh" else x

    def to_uint8(self, images) -> np.ndarray:
        x = np.asarray(images, np.float32)
        if self.output_activation == "tanh":
            x = (x + 1.0) / 2.0
        return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)

    def sample_latents(self, n: int, seed: int) -> np.ndarray:
        """Standard-normal latents from a NumPy generator: the same seed, the same vectors."""
        z = np.random.default_rng(seed).standard_normal((n, self.config.latent_dim)) * self.config.sample_std
        return z.astype(np.float32)

    def generate(self, n: int = 64, seed: int = 0, labels=None) -> np.ndarray:
        """``n`` uint8 images (n, H, W, C), deterministic for a given seed.

        Args:
            n: how many images. Defaults to 64.
            seed: seed for the latent vectors. Defaults to 0.
            labels: class per image, for conditional families; ignored otherwise.
                Defaults to cycling through the classes.
        """
        if labels is not None:
            n = len(labels)
        z = self.sample_latents(n, seed)
        if self.conditional:
            labels = np.arange(n) % self.config.num_classes if labels is None else np.asarray(labels)
            labels = labels.astype(np.int32)
        out = []
        for i in range(0, n, 512):  # direct calls in chunks, never model.predict
            chunk_labels = None if labels is None or not self.conditional else labels[i : i + 512]
            out.append(self.to_uint8(self.decode(z[i : i + 512], chunk_labels)))
        return np.concatenate(out) if out else np.zeros((0, *self.config.image_shape), np.uint8)

    def sample_grid(self, seed: int, n: int = 64) -> tuple[np.ndarray, int]:
        """``n`` (a square) images for the per-epoch grid, from fixed latents from ``seed``, and the column count.

        A conditional model's 64-image grid has one row of eight per class (up to 16 classes);
        smaller grids, and more classes, cycle through the classes.
        """
        k = self.config.num_classes
        if self.conditional and n >= 64 and k <= 16:
            return self.generate(seed=seed, labels=np.repeat(np.arange(k), 8)), 8
        return self.generate(n, seed), int(round(n**0.5))

    def describe(self) -> dict:
        """Per network: layers with output shapes and parameter counts; and the total."""
        nets = {name: network_table(net) for name, net in self.networks().items()}
        return {"networks": nets, "params": sum(n["params"] for n in nets.values())}

    # -- keras.Model.fit support ---------------------------------------
    def train_step(self, data):
        """So that ``model.fit(images)`` works too; the Trainer compiles the same phases."""
        from ...training.backends import backend

        if isinstance(data, (tuple, list)):
            images, labels = data[0], (data[1] if len(data) > 1 else None)
        else:
            images, labels = data, None
        if labels is None:
            labels = ops.zeros((ops.shape(images)[0],), "int32")
        return backend().run_phases(self.phases(), {"images": images, "labels": labels})
