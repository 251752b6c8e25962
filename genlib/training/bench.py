"""Throughput benchmark: the tutorial seeds' training loop vs genlib's compiled step.

    python -m genlib bench [--seconds 20]

Both train the first tutorial's MLP GAN as it writes it (preset ``tutorial-001``:
generator 128-256-512 and discriminator 512-256 with ReLU, Adam's defaults) on
28x28 images at batch 128, in one process, one after the other, so the ratio
is taken under the same machine load. The seeds' loop calls ``predict`` and
three ``train_on_batch`` per step; genlib runs one compiled step per batch. The
last line printed is the speedup.
"""

from __future__ import annotations

import time

import numpy as np

LATENT = 100
SHAPE = (28, 28, 1)


def _seed_loop(images: np.ndarray, batch: int):
    """The seeds' way, written as the tutorials write it (Keras 3 API)."""
    import keras
    from keras import layers

    generator = keras.Sequential(
        [
            keras.Input((LATENT,)),
            layers.Dense(128, activation="relu"),
            layers.Dense(256, activation="relu"),
            layers.Dense(512, activation="relu"),
            layers.Dense(int(np.prod(SHAPE)), activation="tanh"),
            layers.Reshape(SHAPE),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dense(256, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam())
    valid, fake = np.ones((batch, 1), np.float32), np.zeros((batch, 1), np.float32)
    rng = np.random.default_rng(0)
    # Keras 3 captures trainable variables when a train function is first traced:
    # train D once before freezing it inside the combined model, as the seeds intend.
    discriminator.train_on_batch(images[:batch], valid)
    discriminator.trainable = False
    combined = keras.Sequential([keras.Input((LATENT,)), generator, discriminator])
    combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam())

    def step():
        idx = rng.integers(0, len(images), batch)
        noise = rng.standard_normal((batch, LATENT)).astype(np.float32)
        generated = generator.predict(noise, verbose=0)
        discriminator.train_on_batch(images[idx], valid)
        discriminator.train_on_batch(generated, fake)
        combined.train_on_batch(noise, valid)

    return step


def _genlib_step(images_uint8: np.ndarray, batch: int, jit_compile: bool):
    from ..models import create_model, make_config
    from .backends import backend

    be = backend()
    model = create_model("gan", make_config("gan", "tutorial-001", image_shape=SHAPE))
    step_fn = be.compile_step(model, jit_compile=jit_compile)
    images = be.to_device(model.to_model_range(images_uint8))
    labels = be.to_device(np.zeros(len(images_uint8), np.int32))
    rng = np.random.default_rng(0)

    def step():
        logs = step_fn(images, labels, rng.integers(0, len(images_uint8), batch).astype(np.int32))
        float(logs["g_loss"])  # wait for the step to finish, as the trainer does

    return step


def _images_per_s(step, batch: int, seconds: float, warmup: int = 5) -> float:
    for _ in range(warmup):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    return n * batch / (time.perf_counter() - t0)


def run_bench(seconds: float = 20.0, batch_size: int = 128) -> dict:
    from ..data import make_shapes

    images, _ = make_shapes(4096, size=SHAPE[0], seed=0)
    print(
        f"MLP GAN tutorial-001 on {SHAPE[0]}x{SHAPE[1]} images, batch {batch_size}, {seconds:.0f} s per loop",
        flush=True,
    )
    results = {}
    seed_images = images.astype(np.float32) / 127.5 - 1.0
    loops = [
        ("seed loop (predict + train_on_batch)", lambda: _seed_loop(seed_images, batch_size)),
        ("genlib, tf.function", lambda: _genlib_step(images, batch_size, jit_compile=False)),
        ("genlib, tf.function + XLA", lambda: _genlib_step(images, batch_size, jit_compile=True)),
    ]
    for name, make in loops:
        results[name] = _images_per_s(make(), batch_size, seconds)
        print(f"{name:40} {results[name]:8.0f} img/s", flush=True)
    seed, plain, xla = results.values()
    print(f"tf.function alone: {plain / seed:.1f}x")
    print(f"speedup {xla / seed:.1f}x (genlib {xla:.0f} img/s, seed loop {seed:.0f} img/s)")
    return results


# -- the per-family table: genlib's whole job, its step alone, Keras fit ---------------------------

FAMILIES = ("gan", "dcgan", "cgan", "vae", "cvae")
CONV_FAMILIES = ("dcgan", "cgan", "cvae")


def _model(family: str, train):
    from ..models import create_model, make_config
    from .trainer import fit_to_dataset

    return create_model(family, fit_to_dataset(train, make_config(family)))


def dataset_step(model, ds, batch: int, xla: bool):
    """The compiled step of ``model`` over ``ds`` (its data on the device, batches drawn at random), as
    a callable that runs one step and waits for it, as the trainer does at a log point."""
    from .backends import backend

    be = backend()
    step_fn = be.compile_step(model, xla)
    labels = ds.labels if ds.labels is not None else np.zeros(len(ds), np.int32)
    images, labels = be.to_device(ds.images), be.to_device(labels.astype(np.int32))
    rng = np.random.default_rng(0)

    def step():
        logs = step_fn(images, labels, rng.integers(0, len(ds), batch).astype(np.int32))
        float(next(iter(logs.values())))

    return step


def step_alone(model, ds, batch: int, seconds: float, xla: bool, warmup: int = 10) -> float:
    """Images/s of the compiled step alone, after ``warmup`` steps (the first one compiles)."""
    return _images_per_s(dataset_step(model, ds, batch, xla), batch, seconds, warmup=warmup)


def _keras_fit(model, ds, batch: int, epochs: int, xla: bool) -> float:
    """Images/s of Keras's own ``fit`` running the same networks and losses (the family's phases as
    a ``train_step``), fed from NumPy as Keras tutorials do; its compile is timed, as genlib's is."""
    import keras

    from .backends import backend

    run_phases = backend().run_phases

    class Fitted(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.inner_phases = inner.phases()

        def call(self, x):
            return x

        def train_step(self, data):
            x, y = data
            return run_phases(self.inner_phases, {"images": self.inner.uint8_to_model_range(x), "labels": y})

    n = len(ds) // batch * batch  # whole batches, as genlib's epochs are
    fitted = Fitted(model)
    fitted.compile(jit_compile=xla)
    started = time.perf_counter()
    fitted.fit(ds.images[:n], ds.labels[:n].astype(np.int32), batch_size=batch, epochs=epochs, shuffle=True, verbose=0)
    return epochs * n / (time.perf_counter() - started)


def _whole_job(family: str, epochs: int, batch: int, folder) -> float:
    """Images/s of ``Trainer.fit`` with default settings: compile, epoch ends (grids, checkpoints,
    metrics, TensorBoard) and in-training evaluations included; the evaluator is prepared before."""
    import contextlib
    import io

    from ..models import make_config
    from ..runs.store import create_run_dir
    from .config import TrainConfig
    from .trainer import Trainer, build_config

    train = TrainConfig(dataset="shapes", family=family, epochs=epochs, batch_size=batch)
    run = create_run_dir(folder / family, build_config(train, make_config(family)))
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        state = Trainer(run).fit()["state"]
        seconds = time.perf_counter() - started
    if state != "completed":
        raise RuntimeError(f"the {family} bench run ended {state}: {run.log_tail()}")
    status = run.raw_status()
    return epochs * status["steps_per_epoch"] * status["batch_size"] / seconds


def matmul_peak(seconds: float = 3.0, n: int = 2048) -> float:
    """The device's sustained fp32 matmul rate (FLOP/s): the best of repeated chains of n x n products
    (the factor is scaled by 1/sqrt(n), so values stay finite without any other operation)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n)) / n**0.5

    @tf.function
    def chain(x):
        for _ in range(4):
            x = tf.matmul(x, b)
        return x

    float(tf.reduce_sum(chain(a)))
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        float(tf.reduce_sum(chain(a)))
        best = max(best, 4 * 2 * n**3 / (time.perf_counter() - t))
    return best


def step_flops(model, batch: int) -> float:
    """Floating-point operations of one training step, counted by TensorFlow's profiler on the
    traced step (convolutions, their two gradients and matrix products)."""
    import tensorflow as tf

    from .backends import backend

    step = backend().compile_step(model, False)
    images = tf.zeros((batch, *model.config.image_shape), tf.uint8)
    concrete = step.get_concrete_function(images, tf.zeros((batch,), tf.int32), tf.range(batch, dtype=tf.int32))
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # the v1 profiler's deprecation notice
    try:
        return float(tf.compat.v1.profiler.profile(concrete.graph, options=options).total_float_ops)
    finally:
        logger.setLevel(level)


def run_family_table(families=FAMILIES, seconds: float = 10.0, batch: int = 128) -> list[dict]:
    """One row per family on the built-in ``shapes`` (2,000 images, 32x32): genlib's whole job,
    the compiled step alone (with the backend's XLA choice), Keras ``fit`` of the same networks, and
    for convolutional families the step's share of the measured fp32 matmul peak. One process,
    families in turn, so the ratios in a row come from the same minute of the machine."""
    import tempfile
    from pathlib import Path

    from ..data import load_dataset
    from ..metrics import get_evaluator
    from .backends import backend
    from .config import TrainConfig

    be = backend()
    device = be.device_info().get("device", "CPU")
    ds = load_dataset("shapes")
    get_evaluator(ds, report=lambda *_: None)  # prepared once and cached: not part of any job
    peak = matmul_peak()
    print(f"shapes ({len(ds)} images, 32x32), batch {batch}, {device}; fp32 matmul peak {peak / 1e9:.0f} GFLOP/s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in families:
            train = TrainConfig(dataset="shapes", family=family, batch_size=batch)
            xla = be.use_xla(family, device, images=10**9)  # as a long run would
            model = _model(family, train)
            step = step_alone(model, ds, batch, seconds, xla)
            epochs = max(2, round(step * seconds * 1.5 / len(ds)))  # about as long as the step alone, or 2 epochs
            fit = _keras_fit(_model(family, train), ds, batch, epochs, xla)
            job = _whole_job(family, epochs, batch, Path(tmp))
            row = {"family": family, "xla": xla, "epochs": epochs, "step": step, "fit": fit, "job": job}
            if family in CONV_FAMILIES:
                row["peak_share"] = step * step_flops(model, batch) / batch / peak
            rows.append(row)
            share = f"  {row['peak_share']:.0%} of peak" if "peak_share" in row else ""
            print(
                f"{family:6} XLA {'on ' if xla else 'off'}  whole job {job:7.0f} img/s  step alone {step:7.0f}  "
                f"Keras fit {fit:7.0f}  job/step {job / step:.0%}  job/fit {job / fit:.2f}x{share}",
                flush=True,
            )
    return rows
