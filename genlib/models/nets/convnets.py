"""The convolutional networks of the GAN families: DCGAN or ResNet blocks, self-attention, two resolutions.

Both networks are built from an ordered list of blocks so that they can be cut
in two places:

- the generator is a *trunk* (latent vector -> feature map at half the image
  size) and a *last* block (-> the image); a *low* head turns the trunk's map
  into a half-size image, for progressive training's first stage;
- the discriminator is a *first* block (image -> half size) and the *rest*; a
  *from-image* layer feeds a half-size image straight to the rest.

``arch`` picks the blocks: ``dcgan`` (strided transposed and plain convolutions,
Radford et al. 2015, arXiv:1511.06434) or ``resnet`` (pre-activation residual
blocks with nearest-neighbour upsampling and average pooling, as in the SNGAN and
WGAN-GP ResNets, Miyato et al. 2018, Gulrajani et al. 2017). ``attention`` adds a
SAGAN self-attention layer (Zhang et al. 2018, arXiv:1805.08318) at one resolution
of both networks.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from ..layout import upsample_plan
from .blocks import weighted


@keras.saving.register_keras_serializable(package="genlib")
class SelfAttention(layers.Layer):
    """x + gamma * softmax(q k^T) v over all positions of a feature map; gamma starts at 0,
    so the layer begins as the identity and the network learns how much to attend."""

    def build(self, input_shape):
        c = input_shape[-1]
        self.query = layers.Dense(max(c // 8, 1), use_bias=False, name="query")
        self.key = layers.Dense(max(c // 8, 1), use_bias=False, name="key")
        self.value = layers.Dense(c, use_bias=False, name="value")
        for dense in (self.query, self.key, self.value):
            dense.build((None, c))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x):
        shape = ops.shape(x)
        flat = ops.reshape(x, (shape[0], shape[1] * shape[2], shape[3]))
        q, k, v = self.query(flat), self.key(flat), self.value(flat)
        weights = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))), axis=-1)
        return x + self.gamma * ops.reshape(ops.matmul(weights, v), shape)

    def compute_output_shape(self, input_shape):
        return input_shape


def _chain(blocks):
    def apply(x):
        for block in blocks:
            x = block(x)
        return x

    return apply


def _activation(slope: float):
    return layers.LeakyReLU(negative_slope=slope) if slope else layers.ReLU()


# -- generator blocks ------------------------------------------------------
def _dcgan_up(filters, batchnorm, slope, dropout):
    conv = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=not batchnorm)
    norm = layers.BatchNormalization() if batchnorm else None
    act, drop = _activation(slope), layers.Dropout(dropout) if dropout else None
    return _chain([b for b in (conv, norm, act, drop) if b is not None])


def _resnet_up(filters, batchnorm, slope, dropout):
    """BN-act-up-conv3-BN-act-conv3, plus up-conv1 on the shortcut."""
    norm1 = layers.BatchNormalization() if batchnorm else None
    norm2 = layers.BatchNormalization() if batchnorm else None
    act1, act2 = _activation(slope), _activation(slope)
    up, skip_up = layers.UpSampling2D(2), layers.UpSampling2D(2)
    conv1, conv2 = layers.Conv2D(filters, 3, padding="same"), layers.Conv2D(filters, 3, padding="same")
    skip = layers.Conv2D(filters, 1)
    drop = layers.Dropout(dropout) if dropout else None

    def apply(x):
        h = act1(norm1(x) if norm1 else x)
        h = conv1(up(h))
        h = conv2(act2(norm2(h) if norm2 else h))
        out = layers.Add()([h, skip(skip_up(x))])
        return drop(out) if drop else out

    return apply


def build_generator(z, c, image_shape, filters: int, activation: str, progressive: bool = False):
    """(generator output, low-resolution output or None) for the input tensor ``z``.

    Channels halve at each upsampling, from ``filters * 2**(n-1)`` at the seed map
    down to ``filters`` at half the image size.
    """
    h, w, ch = image_shape
    h0, w0, n = upsample_plan(h, w)
    width = filters * 2 ** (n - 1)
    slope = 0.2 if c.arch == "dcgan" else 0.0
    up = _dcgan_up if c.arch == "dcgan" else _resnet_up
    bn, drop = c.g_batchnorm, c.g_dropout

    seed = [layers.Dense(h0 * w0 * width, use_bias=not bn)]
    if c.arch == "dcgan":  # the DCGAN seed map is normalised and activated; a ResNet block does it itself
        seed += [layers.BatchNormalization()] if bn else []
        seed += [_activation(slope)] + ([layers.Dropout(drop)] if drop else [])
    seed.append(layers.Reshape((h0, w0, width)))
    blocks = [_chain(seed)]
    side = h0
    if c.attention == side:
        blocks.append(SelfAttention(name=f"g_attention_{side}"))
    for i in range(n - 1):
        blocks.append(up(width // 2 ** (i + 1), bn, slope, drop))
        side *= 2
        if c.attention == side:
            blocks.append(SelfAttention(name=f"g_attention_{side}"))
    features = _chain(blocks)(z)

    if c.arch == "dcgan":
        out = layers.Conv2DTranspose(ch, 4, strides=2, padding="same", activation=activation, name="to_image")(features)
    else:
        x = up(filters, bn, slope, drop)(features)
        x = layers.BatchNormalization()(x) if bn else x
        out = layers.Conv2D(ch, 3, padding="same", activation=activation, name="to_image")(_activation(slope)(x))
    low = None
    if progressive:
        low = layers.Conv2D(ch, 3, padding="same", activation=activation, name="to_image_half")(features)
    return out, low


# -- discriminator blocks --------------------------------------------------
def _dcgan_down(filters, batchnorm, slope, dropout, sn):
    conv = weighted(layers.Conv2D(filters, 4, strides=2, padding="same"), sn)
    norm = layers.BatchNormalization() if batchnorm else None
    act, drop = _activation(slope), layers.Dropout(dropout) if dropout else None
    return _chain([b for b in (conv, norm, act, drop) if b is not None])


def _resnet_down(filters, batchnorm, slope, dropout, sn):
    """act-conv3-act-conv3-avgpool, plus conv1-avgpool on the shortcut."""
    act1, act2 = _activation(slope), _activation(slope)
    conv1 = weighted(layers.Conv2D(filters, 3, padding="same"), sn)
    conv2 = weighted(layers.Conv2D(filters, 3, padding="same"), sn)
    norm = layers.BatchNormalization() if batchnorm else None
    pool, skip_pool = layers.AveragePooling2D(2), layers.AveragePooling2D(2)
    skip = weighted(layers.Conv2D(filters, 1), sn)
    drop = layers.Dropout(dropout) if dropout else None

    def apply(x):
        h = conv1(act1(x))
        h = norm(h) if norm else h
        h = pool(conv2(act2(h)))
        out = layers.Add()([h, skip_pool(skip(x))])
        return drop(out) if drop else out

    return apply


def build_discriminator(inputs, c, image_shape, filters: int, low_inputs=None):
    """(features, low-resolution features or None): n blocks down from the image, channels doubling
    from ``filters``, flattened. ``low_inputs`` (half-size images) enter after the first block.

    As in DCGAN, the first block has no BatchNorm.
    """
    h, w = image_shape[:2]
    n = upsample_plan(h, w)[2]
    slope = 0.2
    down = _dcgan_down if c.arch == "dcgan" else _resnet_down
    blocks, side = [], h
    for i in range(n):
        blocks.append(down(filters * 2**i, c.d_batchnorm and i > 0, slope, c.d_dropout, c.spectral_norm))
        side //= 2
        if c.attention == side:
            blocks.append(SelfAttention(name=f"d_attention_{side}"))
    blocks.append(layers.Flatten())
    features = _chain(blocks)(inputs)
    low = None
    if low_inputs is not None:
        from_image = weighted(layers.Conv2D(filters, 1, name="from_image_half"), c.spectral_norm)
        x = _activation(slope)(from_image(low_inputs))
        low = _chain(blocks[1:])(x)
    return features, low
