"""Conditional GAN (Mirza & Osindero, 2014, arXiv:1411.1784) on DCGAN networks.

The generator gets a learned embedding of the class next to z; the discriminator
gets the class as an extra image channel, so it judges "is this a real 7?".
``generate(labels=[7, 7, 3])`` draws the digits you ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import param
from ..errors import ConfigError
from . import register
from .adversarial import LOSS_PRESET_NOTES, LOSS_PRESETS, AdversarialConfig, adversarial_log_keys
from .family import Family
from .layout import arch_param, attention_param, check_convnet


@dataclass(frozen=True)
class CGANConfig(AdversarialConfig):
    num_classes: int = param(10, "Number of classes; set from the dataset.", low=0, high=1000)
    filters: int = param(64, "Channels at full resolution; doubled at each step down.", low=4, high=512)
    # 50 dims is plenty to separate ten classes and small next to the 100-d z.
    embed_dim: int = param(50, "Size of the learned class embedding fed to the generator.", low=2, high=256)
    # DCGAN's generator normalises every block but the last (Radford et al. 2015).
    g_batchnorm: bool = param(True, "BatchNorm after each generator block.")
    arch: str = arch_param()
    attention: int = attention_param()

    def validate(self) -> None:
        super().validate()
        check_convnet(self)
        if self.num_classes < 2:
            raise ConfigError(
                "the Conditional GAN draws the class you ask for, so it needs a dataset with labels of at least 2 "
                "classes; pick a labelled dataset (digits, shapes, an import with labels) or another family"
            )


FAMILY = register(
    Family(
        name="cgan",
        title="Conditional GAN",
        description="DCGAN that is told which class to draw: pick the class you want.",
        config_class=CGANConfig,
        presets={"default": {}, "fast": {"filters": 32}, "resnet": {"arch": "resnet", "filters": 32}, **LOSS_PRESETS},
        preset_notes={
            "default": "64 filters",
            "fast": "32 filters, about 4x faster on a CPU",
            "resnet": "residual blocks, 32 filters",
            **LOSS_PRESET_NOTES,
        },
        conditional=True,
        adversarial=True,
        describe_logs=adversarial_log_keys,
        model="genlib.models.nets.cgan:CGAN",
    )
)
