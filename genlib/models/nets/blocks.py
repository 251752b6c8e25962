"""Network pieces shared by the families, all in the Keras functional API."""

from __future__ import annotations

import math
import re

import keras
from keras import layers

from ..layout import upsample_plan


def weighted(layer, spectral_norm: bool = False):
    """``layer``, wrapped in spectral normalisation if asked (Miyato et al. 2018, arXiv:1802.05957):
    each training call divides the kernel by its largest singular value, estimated by one step of
    power iteration carried over from the last call."""
    return layers.SpectralNormalization(layer, name=layer.name + "_sn") if spectral_norm else layer


def mlp(
    x,
    units: tuple[int, ...],
    slope: float,
    batchnorm: bool = False,
    dropout: float = 0.0,
    spectral_norm: bool = False,
):
    """Dense -> (BatchNorm) -> LeakyReLU -> (Dropout), once per entry of ``units``.

    ``slope`` 0 is a plain ReLU.
    """
    for u in units:
        x = weighted(layers.Dense(u), spectral_norm)(x)
        if batchnorm:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(negative_slope=slope)(x) if slope else layers.ReLU()(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return x


def dense_to_image(x, image_shape, activation: str):
    """Project to H*W*C values with the output activation and reshape to an image."""
    x = layers.Dense(math.prod(image_shape), activation=activation)(x)
    return layers.Reshape(image_shape)(x)


def conv_up(
    x, image_shape, filters: int, activation: str, slope: float = 0.2, batchnorm: bool = True, dropout: float = 0.0
):
    """Dense seed map -> n x (Conv2DTranspose stride 2, BatchNorm, LeakyReLU, Dropout) -> image.

    Channels halve at each upsampling, from ``filters * 2**(n-1)`` down to ``filters``.
    """
    h, w, c = image_shape
    h0, w0, n = upsample_plan(h, w)
    width = filters * 2 ** (n - 1)

    def finish(x):
        if batchnorm:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=slope)(x)
        return layers.Dropout(dropout)(x) if dropout else x

    x = finish(layers.Dense(h0 * w0 * width, use_bias=not batchnorm)(x))
    x = layers.Reshape((h0, w0, width))(x)
    for i in range(n - 1):
        x = finish(
            layers.Conv2DTranspose(width // 2 ** (i + 1), 4, strides=2, padding="same", use_bias=not batchnorm)(x)
        )
    return layers.Conv2DTranspose(c, 4, strides=2, padding="same", activation=activation)(x)


def conv_down(
    x,
    filters: int,
    n: int,
    slope: float = 0.2,
    dropout: float = 0.0,
    batchnorm: bool = False,
    spectral_norm: bool = False,
):
    """n x (Conv2D stride 2, (BatchNorm), LeakyReLU, (Dropout)), channels doubling from ``filters``; then Flatten.

    As in DCGAN, the first block has no BatchNorm.
    """
    for i in range(n):
        x = weighted(layers.Conv2D(filters * 2**i, 4, strides=2, padding="same"), spectral_norm)(x)
        if batchnorm and i:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=slope)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    return layers.Flatten()(x)


def logit(spectral_norm: bool = False):
    """The discriminator's last layer: one unbounded score per image."""
    return weighted(layers.Dense(1, name="logit"), spectral_norm)


def _auto_name_base(layer) -> str:
    """The name Keras gives an unnamed layer of this type, before its process-wide counter: 'leaky_re_lu'."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", type(layer).__name__)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def network_table(model: keras.Model) -> dict:
    """Rows of (layer, type, output shape, parameters) and the total, for summaries.

    Layers Keras named itself are numbered within this network ('conv2d', 'conv2d_1'), not by how many
    were built before in the process ('conv2d_6'), so a table reads the same on every build."""
    rows, seen = [], {}
    for layer in model.layers:
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            shape = ()
        name, base = layer.name, _auto_name_base(layer)
        if re.fullmatch(rf"{base}(_\d+)?", name):
            n = seen[base] = seen.get(base, -1) + 1
            name = base if n == 0 else f"{base}_{n}"
        rows.append(
            {
                "layer": name,
                "type": type(layer).__name__,
                "output_shape": "(" + ", ".join("batch" if s is None else str(s) for s in shape) + ")",
                "params": int(layer.count_params()),
            }
        )
    return {"name": model.name, "layers": rows, "params": int(model.count_params())}


def recompute_batchnorm_statistics(network: keras.Model, inputs) -> int:
    """Set every BatchNorm layer's moving mean and variance to the statistics of ``inputs``.

    Sampling uses the moving statistics (``training=False``). For a network whose
    weights are an average of past weights (``ema``), the averaged statistics
    do not describe what the averaged weights compute, so they are measured
    afresh on one large batch ("standing statistics", Brock et al. 2018,
    arXiv:1809.11096). Returns the number of layers updated.
    """
    norms = [layer for layer in network.layers if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return 0
    probe = keras.Model(network.input, [layer.input for layer in norms])
    outputs = probe(inputs, training=True)  # earlier layers normalise with this batch's statistics
    for layer, x in zip(norms, outputs if isinstance(outputs, (list, tuple)) else [outputs], strict=True):
        axes = [a for a in range(len(x.shape)) if a != layer.axis % len(x.shape)]
        layer.moving_mean.assign(keras.ops.mean(x, axis=axes))
        layer.moving_variance.assign(keras.ops.var(x, axis=axes))
    return len(norms)
