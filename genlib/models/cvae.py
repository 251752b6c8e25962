"""Conditional VAE (Sohn et al., 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models"): the class goes into both the encoder and the decoder.

The encoder sees the image and its class, so its code need not say which digit it is;
the code keeps the style (slant, thickness), and the decoder draws any class in that
style. ``generate(labels=[3, 3, 8])`` draws the classes you ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import param
from ..errors import ConfigError
from . import register
from .family import Family
from .vae import FAMILY as VAE_FAMILY
from .vae import VAEConfig


@dataclass(frozen=True)
class CVAEConfig(VAEConfig):
    num_classes: int = param(10, "Number of classes; set from the dataset.", low=0, high=1000)
    # As for the conditional GAN: enough to separate ten classes, small next to the image.
    embed_dim: int = param(16, "Size of the learned class embedding given to both networks.", low=2, high=256)

    def validate(self) -> None:
        super().validate()
        if self.num_classes < 2:
            raise ConfigError(
                "the Conditional VAE draws the class you ask for, so it needs a dataset with labels of at least 2 "
                "classes; pick a labelled dataset (digits, shapes, an import with labels) or another family"
            )


FAMILY = register(
    Family(
        name="cvae",
        title="Conditional VAE",
        description="VAE told the class on both sides: the code keeps the style, you pick the class.",
        config_class=CVAEConfig,
        presets={"seed": {}, "conv": {"architecture": "conv", "latent_dim": 16}},
        preset_notes={"seed": "MLP, 400 hidden units, as the VAE seed", "conv": "convolutional, sharper"},
        conditional=True,
        loss_names=VAE_FAMILY.loss_names,  # the same ELBO terms
        model="genlib.models.nets.cvae:CVAE",
    )
)
