"""Things the app shows that need a model: interpolation, reconstructions, costs, GIFs.

Each function returns NumPy arrays or plain dicts, so pages can render them
without importing Keras.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from .images import make_grid, save_gif, to_pil
from .runs import Run

# Rough sustained training speeds and per-step overhead, used only for the Model page's
# first guess (genlib.training.speed measures the real thing). Fitted to 2-epoch runs of
# every family's presets on digits and shapes on a 2-core CPU: within 1.5x, except
# convolutions on 8x8 images, which run about 3x slower than their FLOPs say.
CPU_FLOPS, GPU_FLOPS = 30e9, 8e12
STEP_OVERHEAD_S = 0.008


def load_run_model(run: Run, which: str = "best"):
    """The run's best model (lowest in-training FID) where it kept one, else its last; or with
    ``which="last"`` its newest checkpoint. None before epoch 1."""
    from .models import load_model

    path = run.trained_model_path(which)
    return load_model(path) if path else None


def interpolate(model, seed_a: int, seed_b: int, steps: int = 10, label: int | None = None) -> np.ndarray:
    """uint8 images along the straight line between the latents of two seeds."""
    za, zb = model.sample_latents(1, seed_a)[0], model.sample_latents(1, seed_b)[0]
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    z = (1.0 - t) * za + t * zb
    labels = np.full(steps, label or 0, np.int32) if model.conditional else None
    return model.to_uint8(model.decode(z, labels))


def reconstructions(model, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray | None:
    """Originals above their reconstructions, for models that can encode; else None.
    A conditional model is given each image's class (``labels``)."""
    if not hasattr(model, "reconstruct"):
        return None
    return np.concatenate([images, model.reconstruct(images, labels)])


def latent_map(model, images: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray | None:
    """2-D coordinates of images in the latent space (first two PCA axes of the means)."""
    if not hasattr(model, "encode"):
        return None
    codes = model.encode(images, labels)
    codes = codes - codes.mean(axis=0)
    _, _, vt = np.linalg.svd(codes, full_matrices=False)
    return codes @ vt[:2].T


# A GIF of more frames than this shows every k-th epoch (and always the last):
# 100 frames at 250 ms is a 25-second loop, whatever the run's length.
MAX_GIF_FRAMES = 100


def gif_frames(paths: list, limit: int = MAX_GIF_FRAMES) -> list:
    """At most ``limit`` of ``paths``, evenly spread, first and last included."""
    if len(paths) <= limit:
        return list(paths)
    picks = np.unique(np.linspace(0, len(paths) - 1, limit).round().astype(int))
    return [paths[i] for i in picks]


def training_gif(run: Run, ms_per_frame: int = 250) -> Path | None:
    """The run's epoch grids as a looping GIF file, built once per set of grids; None if none.

    The file is named after the grids it shows (count and last epoch), so later views
    reuse it and a new epoch makes a new one; older ones are removed.
    """
    paths = run.sample_paths()
    if not paths:
        return None
    target = run.path / "gif" / f"training-{len(paths)}-{paths[-1].stem}.gif"
    if target.is_file():
        return target
    frames = [Image.open(p).convert("P") for p in gif_frames(paths)]
    save_gif(frames, target, ms_per_frame)
    for old in target.parent.glob("training-*.gif"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def grid_png_bytes(images: np.ndarray, ncols: int = 8) -> bytes:
    import io

    buf = io.BytesIO()
    to_pil(make_grid(images, ncols)).save(buf, format="PNG")
    return buf.getvalue()


def _layer_flops(layer) -> int:
    """Multiply-adds of one forward pass of a Dense or convolution layer, per image."""
    kind = type(layer).__name__
    try:
        out = tuple(layer.output.shape[1:])
    except (AttributeError, ValueError):
        return 0
    if kind == "Dense":
        return int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    if kind in ("Conv2D", "Conv2DTranspose"):
        kh, kw, a, b = (int(s) for s in layer.kernel.shape)
        spatial = math.prod(out[:2]) if kind == "Conv2D" else math.prod(tuple(layer.input.shape[1:3]))
        return spatial * kh * kw * a * b
    return 0


def estimate_cost(model, dataset_size: int, batch_size: int, gpu: bool = False) -> dict:
    """Rough memory (MB) and seconds per epoch from parameter and layer-FLOP counts.

    Memory counts weights, gradients and two Adam moments (16 bytes a parameter)
    plus the batch's activations. Time assumes each network runs forward and
    backward about three times a step, at a sustained rate typical of the device.
    """
    nets = model.networks()
    params = sum(n.count_params() for n in nets.values())
    flops = sum(_layer_flops(layer) for n in nets.values() for layer in n.layers)
    activations = sum(
        math.prod(tuple(layer.output.shape[1:]))
        for n in nets.values()
        for layer in n.layers
        if hasattr(layer, "output") and layer.output is not None
    )
    memory_mb = (16 * params + 4 * 3 * activations * batch_size) / 2**20
    steps = dataset_size // max(1, min(batch_size, dataset_size))
    seconds = steps * STEP_OVERHEAD_S + dataset_size * flops * 2 * 3 / (GPU_FLOPS if gpu else CPU_FLOPS)
    return {
        "params": int(params),
        "memory_mb": memory_mb,
        "seconds_per_epoch": seconds,
        "flops_per_image": flops,
        "estimate_basis": "a rough guess from the networks' size; press Measure for the real figure.",
    }
