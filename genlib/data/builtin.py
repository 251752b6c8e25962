"""Built-in datasets: embedded digits, procedural shapes, and keras.datasets."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..errors import DatasetError, DatasetOffline
from .dataset import Dataset, make_dataset

SHAPE_CLASSES = ["circle", "square", "triangle", "cross"]


def load_digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits (1,797 images, values 0..16): works offline."""
    images, labels = _digits_arrays()
    images = np.round(images * (255.0 / 16.0)).astype(np.uint8)
    return make_dataset(
        "digits",
        images,
        labels,
        [str(i) for i in range(10)],
        "scikit-learn's 1,797 handwritten digits, 8x8 grey. Embedded, works offline.",
    )


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The digits as (1797, 8, 8) values 0..16 and their labels.

    Read straight from the CSV file scikit-learn installs (64 pixels and the label per row), found
    without importing scikit-learn, whose import takes about 1.4 s here: this sits on the path to
    a demo's first sample grid. Falls back to ``sklearn.datasets.load_digits``.
    """
    spec = importlib.util.find_spec("sklearn")
    csv = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if csv is not None and csv.is_file():
        table = np.loadtxt(csv, delimiter=",")
        return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    return bunch.images, bunch.target


def make_shapes(n: int = 2000, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` white shapes on black, deterministic from ``seed``.

    Returns uint8 images (n, size, size, 1) and labels into SHAPE_CLASSES.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), n).astype(np.int32)
    images = np.zeros((n, size, size, 1), np.uint8)
    for i, label in enumerate(labels):
        im = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(im)
        r = rng.uniform(0.22, 0.4) * size
        cx, cy = rng.uniform(r, size - r, 2)
        shade = int(rng.integers(170, 256))
        kind = SHAPE_CLASSES[label]
        if kind == "circle":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=shade)
        elif kind == "square":
            draw.regular_polygon((cx, cy, r), 4, rotation=float(rng.uniform(0, 90)), fill=shade)
        elif kind == "triangle":
            draw.regular_polygon((cx, cy, r), 3, rotation=float(rng.uniform(0, 120)), fill=shade)
        else:
            w = max(1, int(r / 2.5))
            draw.line([cx - r, cy, cx + r, cy], fill=shade, width=w)
            draw.line([cx, cy - r, cx, cy + r], fill=shade, width=w)
        images[i, :, :, 0] = np.asarray(im)
    return images, labels


def load_shapes() -> Dataset:
    images, labels = make_shapes()
    return make_dataset(
        "shapes",
        images,
        labels,
        SHAPE_CLASSES,
        "2,000 procedurally drawn shapes (circle, square, triangle, cross), 32x32 grey, seed 0.",
    )


_KERAS = {
    "mnist": (
        "MNIST handwritten digits, 60,000 28x28 grey (downloads once)",
        [str(i) for i in range(10)],
        "train-images-idx3-ubyte.gz",
    ),
    "fashion_mnist": (
        "Fashion-MNIST clothing, 60,000 28x28 grey (downloads once)",
        ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"],
        "train-images-idx3-ubyte.gz",
    ),
    "cifar10": (
        "CIFAR-10 photos, 50,000 32x32 RGB (downloads once)",
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "cifar10.npz",
    ),
}


def load_keras(name: str) -> Dataset:
    """Load through keras.datasets; offline, say how to import the files instead."""
    import keras

    description, class_names, example_file = _KERAS[name]
    try:
        (x, y), _ = getattr(keras.datasets, name).load_data()
    except Exception as exc:  # keras raises a bare Exception for failed downloads
        reason = str(exc).split(" -- ")[-1].strip() or type(exc).__name__
        raise DatasetOffline(name, reason, example_file) from None
    return make_dataset(name, x, np.asarray(y).reshape(-1), class_names, description)


BUILTINS = {
    "digits": (load_digits, "scikit-learn's 8x8 handwritten digits (embedded, offline)"),
    "shapes": (load_shapes, "procedural shapes, 32x32, seeded (offline)"),
    **{name: ((lambda n=name: load_keras(n)), spec[0]) for name, spec in _KERAS.items()},
}


DOWNLOADED = frozenset(_KERAS)


def builtin_loader(name: str):
    if name not in BUILTINS:
        raise DatasetError(f"unknown built-in dataset {name!r}")
    return BUILTINS[name][0]
