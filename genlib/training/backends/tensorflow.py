"""TensorFlow training step: GradientTape per phase, compiled with tf.function (+ XLA)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def run_phases(phases, batch) -> dict:
    """Apply each phase's gradient update ``phase.repeat`` times, in order; return the merged logs."""
    logs = {}
    for phase in phases:
        for _ in range(phase.repeat):
            with tf.GradientTape() as tape:
                loss, phase_logs = phase.loss_fn(batch)
            grads = tape.gradient(loss, phase.variables)
            phase.optimizer.apply_gradients(zip(grads, phase.variables, strict=True))
            if phase.after is not None:
                phase.after()
        logs.update(phase_logs)
    return logs


def input_gradient(fn, x):
    """The gradient of ``fn(x)`` (a scalar) with respect to ``x``, recorded by any enclosing tape,
    so a loss built from it (WGAN-GP, R1) can itself be differentiated."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.gradient(y, x)


def compile_step(model, jit_compile: bool = True, augment=None):
    """A compiled step over data that stays on the device.

    The returned function takes the whole dataset (images, labels) as tensors and
    the batch's indices, gathers the batch inside the graph, and updates every
    phase. With ``jit_compile`` XLA fuses the step (1.2x over plain tf.function on the
    2-core CPU in ``python -m genlib bench``). ``augment``, if given, maps the batch's
    real images to augmented ones inside the step. Images may be uint8 (0..255), a quarter of the
    memory of float32: the step scales each batch to the model's range.
    """
    phases = model.phases()

    @tf.function(jit_compile=jit_compile, reduce_retracing=True, autograph=False)
    def step(images, labels, index):
        real = tf.gather(images, index)
        if real.dtype == tf.uint8:  # the data stays uint8 on the device; only the batch is scaled
            real = model.uint8_to_model_range(real)
        batch = {"images": augment(real) if augment else real, "labels": tf.gather(labels, index)}
        return run_phases(phases, batch)

    return step


# XLA on a CPU, per family, measured by docs/bench_xla.py (`shapes` 32x32, batch 128, the 2-core
# development machine, medians of 3 interleaved rounds): the steady gain in images/s over the plain
# compiled step, the extra seconds XLA's compile adds to the first step, and the plain rate.
# XLA pays once it has saved its compile time: after extra / (1/plain - 1/(plain * gain)) images.
XLA_ON_CPU = {  # family: (gain, extra compile seconds, plain images/s)
    "gan": (1.30, 2.9, 2602),
    "dcgan": (1.36, 4.3, 89),
    "cgan": (1.58, 5.2, 75),
    "vae": (1.08, 2.3, 5699),
    "cvae": (1.15, 2.9, 4223),
}
XLA_MARGIN = 2.0  # XLA only for runs of at least twice its break-even length


def xla_break_even(family: str) -> float:
    """Images after which XLA has repaid its compile on a CPU (inf where it was not measured to gain)."""
    gain, extra_s, plain = XLA_ON_CPU.get(family, (1.0, 0.0, 1.0))
    saved_per_image = 1 / plain - 1 / (plain * gain)
    return extra_s / saved_per_image if saved_per_image > 0 else float("inf")


def use_xla(family: str, device: str, images: int) -> bool:
    """Whether a run of ``images`` training images of ``family`` on ``device`` ("CPU"/"GPU") is
    compiled with XLA: always on a GPU; on a CPU once the run is ``XLA_MARGIN`` times as long as
    the family's measured break-even, so a short demo's first curve is not held up by the compile."""
    if device == "GPU":
        return True
    return images >= XLA_MARGIN * xla_break_even(family)


def variable_copier(variables):
    """A function returning copies of ``variables`` as they are now, in one compiled call (a later
    update of a variable does not change a copy: TensorFlow copies a buffer that is still read)."""

    @tf.function
    def copy():
        return [tf.identity(v) for v in variables]

    return copy


def add_n(tensors):
    """The sum of same-shaped tensors, in one operation."""
    return tf.add_n(tensors)


def to_device(array, dtype=None):
    """A tensor of ``array``. On a CPU, a NumPy array that is C-ordered, writeable, of the wanted dtype
    and starts on a 64-byte boundary becomes a tensor in place, through DLPack: no copy, so a dataset's
    pixels are held once (imported sets are read aligned, ``genlib.data.ALIGN``). The tensor then
    shares the array's memory; training never writes to either."""
    if isinstance(array, np.ndarray) and _usable_in_place(array, dtype):
        try:
            return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
        except (BufferError, TypeError, ValueError):
            pass  # a layout DLPack cannot carry: copied below
    return tf.convert_to_tensor(array, dtype=dtype)


def _usable_in_place(array: np.ndarray, dtype) -> bool:
    return (
        array.size > 0
        and array.flags.c_contiguous
        and array.flags.writeable
        and array.ctypes.data % 64 == 0
        and (dtype is None or np.dtype(dtype) == array.dtype)
        and not tf.config.list_physical_devices("GPU")
    )


def configure() -> None:
    """Let several jobs share a GPU: allocate memory as needed, not all up front."""
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialised; growth can only be set before first use


def device_info() -> dict:
    """Backend, device kind and free GPU memory (bytes) where it can be read."""
    gpus = tf.config.list_physical_devices("GPU")
    info = {
        "backend": "tensorflow " + tf.__version__,
        "device": "GPU" if gpus else "CPU",
        "gpus": [g.name for g in gpus],
    }
    if gpus:
        try:
            mem = tf.config.experimental.get_memory_info("GPU:0")
            info["gpu_memory_used"] = int(mem["current"])
        except (ValueError, RuntimeError):
            pass
    return info
