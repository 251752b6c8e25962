"""TensorBoard event files beside metrics.jsonl, so ``tensorboard --logdir workspace/runs`` shows every run.

One writer per training process, in ``<run>/tensorboard/``: every value a step, epoch or
evaluation record logs (as ``step/…``, ``epoch/…``, ``eval/…`` scalars), the sample grid
of each epoch (image ``samples``), and the run's settings as hyperparameters. A resumed run
adds a new event file to the same folder. ``train.tensorboard=false`` writes none of it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..runs.store import NOT_LOGGED_VALUES

FOLDER = "tensorboard"


class TensorBoardLog:
    def __init__(self, folder: Path, run_id: str, config: dict):
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        self._tf = tf
        self.writer = tf.summary.create_file_writer(str(folder))
        with self.writer.as_default():
            hp.hparams(hparams(config), trial_id=run_id)
        self.writer.flush()

    def scalars(self, prefix: str, record: dict, step: int) -> None:
        with self.writer.as_default():
            for key, value in record.items():
                if key in NOT_LOGGED_VALUES and key not in ("seconds", "images_per_s"):
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    self._tf.summary.scalar(f"{prefix}/{key}", float(value), step=int(step))

    def image(self, name: str, grid: np.ndarray, step: int) -> None:
        with self.writer.as_default():
            self._tf.summary.image(name, grid[None], step=int(step), max_outputs=1)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def hparams(config: dict) -> dict:
    """The run's training and model fields as TensorBoard hyperparameters (numbers, bools and text)."""
    out = {}
    for section in ("train", "model"):
        for key, value in sorted(config.get(section, {}).items()):
            if isinstance(value, (bool, int, float, str)):
                out[f"{section}.{key}"] = value
            elif value is not None:
                out[f"{section}.{key}"] = str(value)
    return out
