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
        5,
        "Compute quality metrics every N epochs and at the end (0 = off; needs class labels). A due "
        "evaluation is skipped while evaluations take more than a tenth of the run's time (eval_share).",
        low=0,
        high=10_000,
    )
    eval_samples: int = param(1000, "Samples generated for each evaluation during training.", low=100, high=20_000)
    time_budget_s: float = param(
        0.0, "Stop after this many seconds of training and keep the model (0 = no limit).", low=0.0, high=1e7
    )
    # XLA fuses the step (1.2x on the MLP GAN here, more for convolutions). Off only to debug.
    jit_compile: bool = param(
        True, "Compile the training step with XLA (on a CPU only for runs long enough to repay its compile time)."
    )

    # A .keras checkpoint with both Adam states costs about 0.26 s for the MLP GAN here: on short epochs,
    # saving every epoch took a third of a 500-epoch run. Between checkpoints, each epoch's state is kept
    # in memory, so a stop still saves the last finished epoch; only a crash (SIGKILL) loses up to this much.
    checkpoint_every_s: float = param(
        30.0,
        "Save the resumable checkpoint at most every this many seconds (also at epoch 1, at the end, on "
        "stop and before an evaluation that may stop early); 0 = every epoch.",
        low=0.0,
        high=86_400.0,
    )
    # 1,000 samples score in about 1.2 s on digits: every 5 epochs of a 0.3 s epoch is most of the run.
    eval_share: float = param(
        0.1,
        "Most of the wall time in-training evaluations may take; a due evaluation is skipped above it "
        "(the last one never is).",
        low=0.01,
        high=1.0,
    )
    # Early stopping watches the FID of the in-training evaluations; the best model is kept either way.
    early_stopping: int = param(
        0,
        "Stop when FID has not improved for this many evaluations in a row (0 = train all epochs).",
        low=0,
        high=1000,
    )
    # Tutorial 001 saves a grid every SAMPLE_INTERVAL steps; 0 keeps one grid per epoch.
    sample_every: int = param(
        0, "Also save a sample grid every N steps (0 = once per epoch only).", low=0, high=1_000_000
    )
    # Rendering a grid costs about 24 ms (64 samples and two PNGs): on 0.15 s epochs, one per epoch was a
    # sixth of the run. Slow epochs still get one each; fast ones one per this many seconds.
    grid_every_s: float = param(
        2.0,
        "Render the epoch's sample grid at most every this many seconds (the first 10 epochs, the last and "
        "each new best always get one; 0 = every epoch).",
        low=0.0,
        high=3600.0,
    )
    grid_size: int = param(64, "Images in each sample grid: 64 (8x8) or 16 (4x4).", choices=(16, 64))
    # Augmentation of the real images (genlib/data/augment.py); all off reproduces the data as it is.
    augment_flip: bool = param(False, "Mirror real images left-right at random (not for digits or text).")
    augment_rotate: float = param(0.0, "Rotate real images by up to this many degrees either way.", low=0.0, high=180.0)
    augment_scale: float = param(0.0, "Zoom real images in or out by up to this share (0.1 = ±10%).", low=0.0, high=0.5)
    augment_translate: float = param(
        0.0, "Shift real images by up to this share of their side either way.", low=0.0, high=0.5
    )
    augment_brightness: float = param(
        0.0, "Brighten or darken real images by up to this share of the pixel range.", low=0.0, high=0.5
    )
    augment_contrast: float = param(0.0, "Raise or lower real images' contrast by up to this share.", low=0.0, high=0.9)
    tensorboard: bool = param(
        True, "Also write TensorBoard event files (every logged value, the grids, the settings) into the run's folder."
    )
    warm_start: str = param(
        "", "Start from the weights of this run's model, its best if it kept one (a run id; empty = random)."
    )
    warm_start_parts: str = param(
        "all",
        "Which networks to copy from the warm-start run: all, generator or discriminator (GANs only).",
        choices=("all", "generator", "discriminator"),
    )

    def validate(self) -> None:
        from ..paths import is_valid_id

        if not is_valid_id(self.dataset):
            raise ConfigError(f"dataset must be a dataset name, got {self.dataset!r}")
        if self.warm_start and not is_valid_id(self.warm_start):
            raise ConfigError(f"warm_start must be a run id, got {self.warm_start!r}", field="warm_start")
        if self.early_stopping and not self.eval_every:
            raise ConfigError(
                "early_stopping watches the in-training FID: set eval_every above 0 to use it",
                field="early_stopping",
            )
