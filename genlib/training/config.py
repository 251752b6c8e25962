"""What a training run needs besides the model's own config."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import BaseConfig, param
from ..errors import ConfigError


@dataclass(frozen=True)
class TrainConfig(BaseConfig):
    dataset: str = param("digits", "Dataset name (built-in or imported).")
    family: str = param("gan", "Model family from the registry.")
    preset: str = param("", "The family preset the model config started from (for display).")
    epochs: int = param(20, "Passes over the dataset.", low=1, high=10_000)
    # 128 keeps the 2-core CPU busy and matches the seeds' batch size.
    batch_size: int = param(128, "Images per training step.", low=2, high=4096)
    seed: int = param(0, "Seeds weights, shuffling, noise and the fixed latent grid.", low=0, high=2**31 - 1)
    # A metric line every 20 steps keeps metrics.jsonl small but curves smooth.
    log_every: int = param(20, "Steps between metric lines in metrics.jsonl.", low=1, high=100_000)
    # Every 5 epochs gives a curve of 20 points over a 100-epoch run at little cost
    # (1,000 samples score in well under a second on the digits evaluator).
    eval_every: int = param(
        5, "Compute quality metrics every N epochs and at the end (0 = off; needs class labels).", low=0, high=10_000
    )
    eval_samples: int = param(1000, "Samples generated for each evaluation during training.", low=100, high=20_000)
    time_budget_s: float = param(
        0.0, "Stop after this many seconds of training and keep the model (0 = no limit).", low=0.0, high=1e7
    )
    # XLA fuses the step (1.2x on the MLP GAN here, more for convolutions). Off only to debug.
    jit_compile: bool = param(
        True, "Compile the training step with XLA (on a CPU only for runs long enough to repay its compile time)."
    )

    def validate(self) -> None:
        from ..paths import is_valid_id

        if not is_valid_id(self.dataset):
            raise ConfigError(f"dataset must be a dataset name, got {self.dataset!r}")
