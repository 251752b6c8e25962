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
