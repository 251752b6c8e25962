"""TensorBoard event files beside metrics.jsonl, so ``tensorboard --logdir workspace/runs`` shows every run.

One writer per training process, in ``<run>/tensorboard/``: every value a step, epoch or
evaluation record logs (as ``step/…``, ``epoch/…``, ``eval/…`` scalars), the sample grid
of each epoch (image ``samples``), and the run's settings as hyperparameters. A resumed run
adds a new event file to the same folder. ``train.tensorboard=false`` writes none of it.

The summaries are built as protocol buffers and queued to TensorBoard's own event writer,
which flushes in the background every few seconds: no TensorFlow op runs per value (eager
``tf.summary`` calls cost about a millisecond each, a tenth of a short epoch's end).
"""

from __future__ import annotations

import io
import math
import time
from pathlib import Path

import numpy as np

from ..runs.store import NOT_LOGGED_VALUES

FOLDER = "tensorboard"
FLUSH_S = 5  # a live run's values reach TensorBoard within this many seconds


class TensorBoardLog:
    def __init__(self, folder: Path, run_id: str, config: dict):
        from tensorboard.plugins.hparams.summary_v2 import hparams_pb
        from tensorboard.plugins.image import metadata as image_metadata
        from tensorboard.plugins.scalar import metadata as scalar_metadata
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self.writer = EventFileWriter(str(folder), flush_secs=FLUSH_S)
        self._scalar_meta = scalar_metadata.create_summary_metadata(display_name=None, description=None)
        self._image_meta = image_metadata.create_summary_metadata(display_name="samples", description="")
        self._add(hparams_pb(hparams(config), trial_id=run_id), step=0)
        self.writer.flush()

    def _add(self, summary, step: int) -> None:
        from tensorboard.compat.proto import event_pb2

        self.writer.add_event(event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalars(self, prefix: str, record: dict, step: int) -> None:
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.util.tensor_util import make_tensor_proto

        summary = summary_pb2.Summary()
        for key, value in record.items():
            if key in NOT_LOGGED_VALUES and key not in ("seconds", "images_per_s"):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                summary.value.add(
                    tag=f"{prefix}/{key}", metadata=self._scalar_meta, tensor=make_tensor_proto(np.float32(value))
                )
        self._add(summary, step)

    def image(self, name: str, grid: np.ndarray, step: int) -> None:
        from PIL import Image
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.util.tensor_util import make_tensor_proto

        buf = io.BytesIO()
        Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(buf, format="PNG")
        height, width = grid.shape[:2]
        content = np.array([str(width).encode(), str(height).encode(), buf.getvalue()], dtype=object)
        summary = summary_pb2.Summary()
        summary.value.add(tag=name, metadata=self._image_meta, tensor=make_tensor_proto(content))
        self._add(summary, step)

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
