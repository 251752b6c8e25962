"""DCGAN (Radford et al., 2015, arXiv:1511.06434): strided convolutions, BatchNorm, LeakyReLU.

Shape-adaptive: the generator starts from a small map and doubles it two to four
times to reach the dataset's size (8x8 digits, 28x28 MNIST, 32x32 CIFAR, 64x64).
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
class DCGANConfig(AdversarialConfig):
    # 64 is DCGAN's width at the image end; 32 trains ~4x faster on CPU (preset "fast").
    filters: int = param(64, "Channels at full resolution; doubled at each step down.", low=4, high=512)
    # DCGAN's generator normalises every block but the last (Radford et al. 2015).
    g_batchnorm: bool = param(True, "BatchNorm after each generator block.")
    arch: str = arch_param()
    attention: int = attention_param()
    # Karras et al. 2018 (arXiv:1710.10196) grow from 4x4 in many stages with fade-ins; one
    # half-size stage is the tutorial's "low resolution first, then higher".
    progressive: float = param(
        0.0,
        "Train at half the image size for this share of the epochs (or of the time budget), then at full size.",
        low=0.0,
        high=0.9,
    )

    def validate(self) -> None:
        super().validate()
        check_convnet(self)
        if self.progressive and self.feature_matching:
            raise ConfigError(
                "progressive cannot be combined with feature_matching: D's features differ between the stages",
                field="progressive",
            )
        if self.progressive and self.image_shape[0] % 4:
            raise ConfigError(
                "progressive needs an image side divisible by 4 (half of it is trained first); "
                f"got {self.image_shape[0]}",
                field="progressive",
            )


FAMILY = register(
    Family(
        name="dcgan",
        title="DCGAN",
        description="Convolutional GAN: transposed convolutions up, strided convolutions down (or ResNet blocks).",
        config_class=DCGANConfig,
        presets={
            "default": {},
            "fast": {"filters": 32},
            # The best 5-minute settings measured on the MNIST test set (docs/BENCHMARKS.md, batch 64).
            "five-minute": {
                "filters": 32,
                "latent_dim": 6,
                "label_smoothing": 0.1,
                "learning_rate": 4e-4,
                "ema": 0.999,
            },
            "resnet": {"arch": "resnet", "filters": 32},
            "small-data": {"filters": 32, "diff_augment": "translation,cutout"},
            "progressive": {"filters": 32, "progressive": 0.5},
            **LOSS_PRESETS,
        },
        preset_notes={
            "default": "64 filters, as in the paper",
            "fast": "32 filters, about 4x faster on a CPU",
            "five-minute": "best measured for 5 minutes on MNIST: 32 filters, z of 6, label smoothing, lr 4e-4, EMA",
            "resnet": "residual blocks, 32 filters",
            "small-data": "32 filters and DiffAugment, for a few thousand images",
            "progressive": "half size for the first half of the epochs, then full size",
            **LOSS_PRESET_NOTES,
        },
        adversarial=True,
        describe_logs=adversarial_log_keys,
        model="genlib.models.nets.dcgan:DCGAN",
    )
)
