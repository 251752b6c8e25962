"""Seconds per epoch of a model config on this machine: measured, not guessed.

    python -m genlib speed config.json        # a run's config.json (train + model)

A FLOP count misjudges small convolutions on a CPU by several times, so the
Model page offers this instead: build the model, compile the real training
step, time a few steps on random data of the dataset's shape, and time one
epoch end (the sample grid and the checkpoint). Results are cached on disk by
the config's content, and a run that already trained the same config is used
in place of a measurement.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import paths
from ..io import read_json, write_json

TIMED_STEPS = 8  # after one warm-up step (which compiles); enough for a steady median


def speed_key(model: dict, batch_size: int, dataset_size: int) -> str:
    text = json.dumps({"model": model, "batch": batch_size, "n": dataset_size}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _cache_path(key: str) -> Path:
    return paths.cache_dir() / "speed" / f"{key}.json"


def epoch_seconds(step_s: float, epoch_end_s: float, dataset_size: int, batch_size: int) -> float:
    return (dataset_size // min(batch_size, dataset_size)) * step_s + epoch_end_s


def cached_speed(model: dict, batch_size: int, dataset_size: int) -> dict | None:
    path = _cache_path(speed_key(model, batch_size, dataset_size))
    return read_json(path) if path.is_file() else None


def from_history(runs, model: dict, batch_size: int, dataset: str) -> dict | None:
    """The measured epoch time of a finished epoch of a run with this exact model, batch and dataset."""
    for run in runs:
        try:
            cfg = run.read_config()
        except Exception:  # a half-written or broken run says nothing about speed
            continue
        train = cfg.get("train", {})
        if cfg.get("model") != model or train.get("batch_size") != batch_size or train.get("dataset") != dataset:
            continue
        epochs = [r for r in run.metrics("epoch") if r.get("epoch", 0) > 1]  # epoch 1 includes compiling
        if epochs:
            seconds = float(np.median([r["seconds"] for r in epochs]))
            return {"seconds_per_epoch": seconds, "source": f"measured in run {run.id}"}
    return None


def measure(config: dict, steps: int = TIMED_STEPS) -> dict:
    """Time the compiled training step and one epoch end for a run config; cache the result."""
    import keras

    from ..models import create_model, get_family
    from .backends import backend

    train, model_dict = config["train"], config["model"]
    family = get_family(train["family"])
    model = create_model(train["family"], family.config_class.from_dict(model_dict))
    shape, batch = tuple(model_dict["image_shape"]), int(train["batch_size"])
    from ..data import load_dataset

    n = len(load_dataset(train["dataset"]))
    batch = min(batch, n)
    rng = np.random.default_rng(0)
    images = backend().to_device(model.to_model_range(rng.integers(0, 256, (batch * 2, *shape), dtype=np.uint8)))
    classes = max(model_dict.get("num_classes", 0), 1)
    labels = backend().to_device(rng.integers(0, classes, batch * 2).astype(np.int32), "int32")
    step = backend().compile_step(model, train.get("jit_compile", True))
    index = np.arange(batch, dtype=np.int32)
    started = time.perf_counter()
    float(next(iter(step(images, labels, index).values())))
    compile_s = time.perf_counter() - started
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        float(next(iter(step(images, labels, index).values())))  # float() waits for the result
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    model.prepare_sampling()
    model.sample_grid(0)
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp) / "m.keras")
    epoch_end_s = time.perf_counter() - t
    step_s = float(np.median(times))
    result = {
        "step_s": step_s,
        "epoch_end_s": epoch_end_s,
        "compile_s": compile_s,
        "seconds_per_epoch": epoch_seconds(step_s, epoch_end_s, n, batch),
        "source": f"measured: {steps} steps of batch {batch} on {backend().device_info()['device']}",
        "keras": keras.__version__,
    }
    write_json(_cache_path(speed_key(model_dict, int(train["batch_size"]), n)), result)
    return result
