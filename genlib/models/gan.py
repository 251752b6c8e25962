"""MLP GAN (Goodfellow et al., 2014, arXiv:1406.2661): fully connected networks on flat pixels.

Presets:
- ``tutorial-001``: the first tutorial's networks as it writes them: generator
  128-256-512 with ReLU and a tanh output, discriminator 512-256 with ReLU and a
  sigmoid output, Adam with Keras's defaults (1e-3, 0.9, 0.999).
- ``tutorial-002``: the second tutorial's: generator 256-512-1024 with BatchNorm
  (momentum 0.8) and a sigmoid output (pixels in [0, 1]), discriminator 1024-512-256.
- ``seed-001`` / ``seed-002``: the same widths with LeakyReLU(0.2) and DCGAN's
  Adam(2e-4, 0.5), which train more steadily; kept for the runs and links that use them.
The discriminator's sigmoid is inside the loss (a logit and binary cross-entropy on it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import param
from . import register
from .adversarial import LOSS_PRESET_NOTES, LOSS_PRESETS, AdversarialConfig, adversarial_log_keys
from .family import Family


@dataclass(frozen=True)
class GANConfig(AdversarialConfig):
    # Seed 001's generator widths: small enough to train in seconds on CPU.
    g_hidden: tuple[int, ...] = param(
        (128, 256, 512), "Generator hidden layer widths.", low=1, high=6, item_low=8, item_high=4096
    )
    d_hidden: tuple[int, ...] = param(
        (512, 256), "Discriminator hidden layer widths.", low=1, high=6, item_low=8, item_high=4096
    )
    output_activation: str = param(
        "tanh", "Generator output: tanh (pixels in [-1, 1]) or sigmoid ([0, 1]).", choices=("tanh", "sigmoid")
    )
    # 0.2 is the usual LeakyReLU slope for GANs (Radford et al., 2015).
    slope: float = param(0.2, "LeakyReLU negative slope (0 = a plain ReLU).", low=0.0, high=1.0)


FAMILY = register(
    Family(
        name="gan",
        title="MLP GAN",
        description="Fully connected generator and discriminator on flattened pixels: the original GAN.",
        config_class=GANConfig,
        presets={
            "seed-001": {},
            "seed-002": {"g_hidden": (256, 512, 1024), "g_batchnorm": True, "output_activation": "sigmoid"},
            "tutorial-001": {"slope": 0.0, "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999},
            "tutorial-002": {
                "g_hidden": (256, 512, 1024),
                "g_batchnorm": True,
                "output_activation": "sigmoid",
                "d_hidden": (1024, 512, 256),
            },
            **LOSS_PRESETS,
        },
        preset_notes={
            "seed-001": "generator 128-256-512, LeakyReLU(0.2), Adam(2e-4, 0.5)",
            "seed-002": "wider generator with BatchNorm, LeakyReLU(0.2), Adam(2e-4, 0.5)",
            "tutorial-001": "the first tutorial's GAN as written: 128-256-512 / 512-256, ReLU, Adam's defaults",
            "tutorial-002": "the second tutorial's: 256-512-1024 with BatchNorm, sigmoid out / D 1024-512-256",
            **LOSS_PRESET_NOTES,
        },
        adversarial=True,
        describe_logs=adversarial_log_keys,
        model="genlib.models.nets.gan:GAN",
    )
)
