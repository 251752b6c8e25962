"""Standard FID with InceptionV3, offered only where its ImageNet weights can be had.

The weights (about 90 MB) come from keras.applications' download site on first
use and are cached by Keras. Offline, :func:`available` says no and callers do
not offer it; the evaluator-based FID in :mod:`genlib.metrics.scores` always works.
Numbers from this are comparable with published FIDs only in spirit: the usual
reference uses 50,000 samples and TF1's Inception graph.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path

import numpy as np

from . import scores

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_HOST = "storage.googleapis.com"


def _keras_cache() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"


def available(timeout: float = 2.0) -> bool:
    """True when the weights are cached, or their download host answers within ``timeout``."""
    if (_keras_cache() / WEIGHTS_FILE).is_file():
        return True
    try:
        with socket.create_connection((WEIGHTS_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


@functools.lru_cache(maxsize=1)
def _network():
    import keras

    return keras.applications.InceptionV3(include_top=False, weights="imagenet", pooling="avg")


def _features(images: np.ndarray, batch: int = 50) -> np.ndarray:
    import keras

    net = _network()
    out = []
    for i in range(0, len(images), batch):
        x = np.asarray(images[i : i + batch], np.float32)
        if x.shape[-1] == 1:
            x = np.repeat(x, 3, axis=-1)
        x = keras.ops.image.resize(x, (299, 299))
        x = keras.applications.inception_v3.preprocess_input(x)
        out.append(np.asarray(net(x, training=False)))
    return np.concatenate(out)


def inception_fid(real: np.ndarray, fake: np.ndarray) -> float:
    """FID between uint8 image sets in InceptionV3's 2048-d pool features (slow on CPU)."""
    return scores.frechet_distance(_features(real), _features(fake))
