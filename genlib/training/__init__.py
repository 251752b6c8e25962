"""Training: the trainer, its config, and backend-specific compiled steps."""

from .config import TrainConfig
from .trainer import Trainer, build_config

__all__ = ["TrainConfig", "Trainer", "build_config"]
