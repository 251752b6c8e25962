"""The evaluator: a small CNN trained on the dataset's own images, the feature space for metrics.

Inception weights are not always downloadable, so every metric is computed in the
128-d penultimate layer (and softmax output) of a classifier trained on the
dataset itself. The dataset is split once, seeded, into two halves:

- the *reference* half (a sample of at most 20,000) trains the classifier and is
  what generated images are compared with;
- the *held-out* half gives the classifier's test accuracy and the real-data
  baseline ("ceiling"): held-out real images (a sample of at most 10,000) scored
  against the reference half exactly as generated images are.

Preparing it costs about the same from 40,000 images up: the classifier trains on at
most 10,000 images, the reference features come from at most 20,000, and
precision/recall compare samples of at most 5,000 points.

The trained classifier and its figures are cached under ``cache/evaluators/``,
keyed by a hash of the dataset's pixels and labels (plus this file's version), so
a changed dataset gets a new evaluator and an unchanged one is trained once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .. import paths
from ..data import Dataset, load_dataset
from ..errors import GenlibError
from ..io import atomic_path, write_json
from . import scores

VERSION = 4  # bump when the architecture, training or baseline changes, so caches are rebuilt
FEATURES = 128
SPLIT_SEED = 1234
# Preparing the evaluator costs about the same from 40,000 images up: the classifier trains on at
# most TRAIN_IMAGES reference images (about 30,000 presentations, batch 128); the reference features
# (FID's statistics and the real manifold) come from at most REFERENCE_IMAGES of the reference half;
# the held-out accuracy and the real-data baseline from at most HELD_OUT_IMAGES held-out images.
# Only hashing the pixels grows with the dataset. Figures: docs/BENCHMARKS.md (large datasets).
TRAIN_IMAGES = 10_000
REFERENCE_IMAGES = 20_000
HELD_OUT_IMAGES = 10_000
_LOCK = threading.Lock()  # one evaluator trained at a time per process


class EvaluatorError(GenlibError):
    pass


def dataset_digest(ds: Dataset) -> str:
    """A short hash of the pixels, labels and shape: the evaluator's cache key."""
    h = hashlib.sha256(f"v{VERSION}:{ds.images.shape}".encode())
    h.update(np.ascontiguousarray(ds.images).data)
    if ds.labels is not None:
        h.update(np.ascontiguousarray(ds.labels.astype(np.int64)).data)
    return h.hexdigest()[:16]


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the reference half and the held-out half (seeded, so always the same)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2 :])


def _sample(indices: np.ndarray, most: int, salt: int) -> np.ndarray:
    """At most ``most`` of ``indices``, seeded (the same every time), in order."""
    if len(indices) <= most:
        return indices
    return np.sort(np.random.default_rng([SPLIT_SEED, salt]).choice(indices, most, replace=False))


def _halves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The reference images (a sample of the reference half) and the whole held-out half."""
    reference, held_out = split(n)
    return _sample(reference, REFERENCE_IMAGES, 1), held_out


def _build_classifier(shape: tuple[int, int, int], num_classes: int):
    import keras
    from keras import layers

    inputs = keras.Input(shape)
    x = layers.Rescaling(1 / 255.0)(inputs)
    # Two conv + pool blocks and a flatten keep where the strokes are. With 16 and 32 filters it
    # trains at about 2,000 images/s on 2 cores (96.5% on half the MNIST test set after 30,000
    # presentations); 32 and 64 reached 97.3% at half that speed. XLA (Keras's jit_compile) made
    # this network's training 2x slower here, so it is off.
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.Flatten()(x)
    features = layers.Dense(FEATURES, activation="relu", name="features")(x)
    logits = layers.Dense(num_classes, name="logits")(layers.Dropout(0.3)(features))
    return keras.Model(inputs, [features, logits], name="evaluator")


def _epochs_for(n_train: int, pixels: int) -> int:
    """About 30,000 presentations of 28x28 images' worth of compute: 3 epochs of 10,000 MNIST
    images, 6 of 5,000; smaller images get more (digits' 898 images of 8x8: 80, the most)."""
    presentations = 30_000 * max(1.0, 784 / pixels)
    return int(min(80, max(3, math.ceil(presentations / n_train))))


@dataclass
class Evaluator:
    """A trained evaluator for one dataset, with the reference half's features ready."""

    dataset: Dataset
    digest: str
    model: object
    info: dict  # accuracy, epochs, seconds, real-data baseline scores
    reference: np.ndarray = field(repr=False)  # indices of the reference half
    held_out: np.ndarray = field(repr=False)
    reference_features: np.ndarray = field(repr=False)

    @property
    def num_classes(self) -> int:
        return self.dataset.num_classes

    @property
    def accuracy(self) -> float:
        return self.info["accuracy"]

    @property
    def baseline(self) -> dict:
        """Scores of held-out real images against the reference half: the ceiling to aim for."""
        return self.info["baseline"]

    def features_and_probs(self, images: np.ndarray, batch: int = 1000) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate features (N, 128) and class probabilities (N, K) for uint8 images."""
        if images.shape[1:] != self.dataset.image_shape:
            raise EvaluatorError(
                f"images of shape {images.shape[1:]} cannot be scored by the {self.dataset.name} "
                f"evaluator, which expects {self.dataset.image_shape}"
            )
        feats, logits = [], []
        for i in range(0, len(images), batch):
            # predict_on_batch runs Keras's compiled predict function: about 3x an eager call here
            f, lg = self.model.predict_on_batch(np.asarray(images[i : i + batch], np.float32))
            feats.append(np.asarray(f))
            logits.append(np.asarray(lg, np.float64))
        logits = np.concatenate(logits)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        return np.concatenate(feats), probs / probs.sum(1, keepdims=True)

    def score(self, images: np.ndarray, requested_labels: np.ndarray | None = None, nn_samples: int = 1000) -> dict:
        """All metrics for uint8 images (N, H, W, C) against the reference half.

        Args:
            images: generated (or any) images, the dataset's shape.
            requested_labels: for conditional models, the class each image was asked
                for; adds ``label_accuracy`` (share classified as requested).
            nn_samples: how many images the memorisation check uses (0: skip it).
                Defaults to 1000.
        """
        return self.score_features(*self.features_and_probs(images), images, requested_labels, nn_samples)

    def score_features(self, feats, probs, images, requested_labels=None, nn_samples: int = 1000) -> dict:
        """``score`` for images whose features and probabilities are already computed."""
        precision, recall = scores.precision_recall(self.reference_features, feats)
        counts, confident = scores.class_counts(probs)
        out = {
            "n": len(images),
            "fid": scores.frechet_distance(self.reference_features, feats),
            "inception_score": scores.inception_score(probs),
            "precision": precision,
            "recall": recall,
            "coverage": scores.coverage(probs),
            "balance": scores.class_balance(probs, self.dataset.labels[self.reference]),
            "class_counts": counts.tolist(),
            "confident_counts": confident.tolist(),
        }
        if requested_labels is not None:
            out["label_accuracy"] = float((probs.argmax(1) == np.asarray(requested_labels)).mean())
        if nn_samples:
            out.update(self.memorisation(images[:nn_samples]))
        return out

    def nearest_training(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel distance (pixels in 0..1) to, and index of, each image's nearest dataset image."""
        dist, index = scores.nearest(_flat(images), self._flat_images)
        return dist / 255.0, index

    def memorisation(self, images: np.ndarray) -> dict:
        fake_nn, _ = self.nearest_training(images)
        return scores.memorisation(fake_nn, self.real_nn)

    @property
    def _flat_images(self) -> np.ndarray:
        return _flat(self.dataset.images)

    @functools.cached_property
    def real_nn(self) -> np.ndarray:
        """Held-out real images' distance to their nearest *other* dataset image (up to 1000)."""
        idx = self.held_out[:1000]
        others = np.setdiff1d(np.arange(len(self.dataset)), idx)
        base = self._flat_images
        # the queries go first in the base, so skip_self drops each one's own row
        dist, _ = scores.nearest(base[idx], np.concatenate([base[idx], base[others]]), skip_self=True)
        return dist / 255.0


def _flat(images: np.ndarray) -> np.ndarray:
    """Images as rows of uint8 pixels (a view where it can be: no float copy of a whole dataset)."""
    return np.asarray(images).reshape(len(images), -1)


def evaluator_dir(digest: str):
    return paths.cache_dir() / "evaluators" / digest


def get_evaluator(dataset: str | Dataset, report=print) -> Evaluator:
    """The dataset's evaluator: from memory, else from the disk cache, else trained now (and cached).

    Args:
        dataset: a dataset name or a loaded Dataset; it needs class labels.
        report: called with progress lines while training. Defaults to print.
    """
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    if ds.labels is None or ds.num_classes < 2:
        raise EvaluatorError(
            f"dataset {ds.name!r} has no class labels, and the evaluator is a classifier trained on them; "
            "import the dataset with labels (IDX labels file, .npz with 'labels', or class folders in a .zip)"
        )
    digest = dataset_digest(ds)
    with _LOCK:
        cached = _MEMORY.get(digest)
        if cached is None:
            cached = _load_or_train(ds, digest, report)
            _MEMORY[digest] = cached
    return cached


_MEMORY: dict[str, Evaluator] = {}


def _load_or_train(ds: Dataset, digest: str, report) -> Evaluator:
    from ..training.backends import import_quietly

    import_quietly()  # as the trainer does: quiet, and without the packages Keras would load for nothing
    import keras

    folder = evaluator_dir(digest)
    model_path, info_path = folder / "classifier.keras", folder / "info.json"
    reference, held_out = _halves(len(ds))
    if model_path.is_file() and info_path.is_file():
        model = keras.saving.load_model(model_path, compile=False)
        info = json.loads(info_path.read_text())
        ev = Evaluator(ds, digest, model, info, reference, held_out, np.empty(0))
        ev.reference_features = ev.features_and_probs(ds.images[reference])[0]
        return ev

    train_idx = _sample(reference, TRAIN_IMAGES, 2)
    held_idx = _sample(held_out, HELD_OUT_IMAGES, 3)
    epochs = _epochs_for(len(train_idx), ds.image_shape[0] * ds.image_shape[1])
    report(f"training the {ds.name} evaluator: {len(train_idx)} images, {epochs} epochs (once; cached)")
    started = time.time()
    keras.utils.set_random_seed(SPLIT_SEED)
    model = _build_classifier(ds.image_shape, ds.num_classes)
    trainer = keras.Model(model.input, model.outputs[1])
    trainer.compile(
        jit_compile=False,
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    trainer.fit(
        ds.images[train_idx].astype(np.float32),
        ds.labels[train_idx],
        batch_size=128,
        epochs=epochs,
        shuffle=True,
        verbose=0,
    )
    ev = Evaluator(ds, digest, model, {}, reference, held_out, np.empty(0))
    held_feats, held_probs = ev.features_and_probs(ds.images[held_idx])
    accuracy = float((held_probs.argmax(1) == ds.labels[held_idx]).mean())
    ev.reference_features = ev.features_and_probs(ds.images[reference])[0]
    ev.info = {
        "dataset": ds.name,
        "digest": digest,
        "version": VERSION,
        "accuracy": accuracy,
        "epochs": epochs,
        "train_images": len(train_idx),
        "held_out_images": len(held_idx),
        "seconds": round(time.time() - started, 1),
    }
    # Held-out images are in the dataset, so their memorisation figures are the
    # reference values by definition: median ratio 1, 1% closer than the 1st percentile.
    baseline = ev.score_features(held_feats, held_probs, ds.images[held_idx], nn_samples=0)
    ev.info["baseline"] = {**baseline, "nn_ratio": 1.0, "copy_share": 0.01}
    report(f"evaluator ready: held-out accuracy {accuracy:.1%} in {ev.info['seconds']:.0f} s")
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    write_json(info_path, ev.info)
    return ev
