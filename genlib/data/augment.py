"""Image augmentation inside the compiled training step, in ``keras.ops`` only.

Two kinds, for two purposes:

- :class:`Augment`: random flips, rotations, scaling, shifts, brightness and
  contrast applied to the *real* images of each batch (the training fields
  ``augment_*``; previewed on the Data page). It makes the data look larger, and
  the generator learns the augmented distribution too: a rotated digit is then a
  sample the model may draw.
- :func:`diff_augment`: DiffAugment (Zhao et al. 2020, arXiv:2006.10738) applies
  the same random translation, cutout and colour changes to *real and generated*
  images before the discriminator, in every D and G loss. Because it is
  differentiable, G's gradient passes through it, and since both sides are
  augmented the generator is not pushed to draw augmented images. It is what
  stops D from memorising a small training set (the MNIST test set's 10,000).

Geometry is one bilinear resampling by an affine map per image, with edge pixels
repeated outside the image (a digit's border is background), built from gathers so
that XLA compiles it and gradients reach the pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# keras is imported inside the functions: the Data page reads Augment's fields without TensorFlow.

DIFF_AUGMENT_POLICIES = ("off", "translation", "translation,cutout", "color,translation,cutout")


def _sample(images, rows, cols):
    """Bilinear samples of ``images`` (B, H, W, C) at fractional pixel positions ``rows``, ``cols``
    (B, H, W); positions outside the image take the nearest edge pixel."""
    from keras import ops

    shape = ops.shape(images)
    b, h, w, c = shape[0], shape[1], shape[2], shape[3]
    flat = ops.reshape(images, (-1, c))
    rows = ops.clip(rows, 0.0, ops.cast(h - 1, "float32"))
    cols = ops.clip(cols, 0.0, ops.cast(w - 1, "float32"))
    r0, c0 = ops.floor(rows), ops.floor(cols)
    fr, fc = (rows - r0)[..., None], (cols - c0)[..., None]
    r0, c0 = ops.cast(r0, "int32"), ops.cast(c0, "int32")
    r1, c1 = ops.minimum(r0 + 1, h - 1), ops.minimum(c0 + 1, w - 1)
    base = ops.reshape(ops.arange(b, dtype="int32") * (h * w), (-1, 1, 1))

    def at(r, col):
        return ops.take(flat, ops.reshape(base + r * w + col, (-1,)), axis=0)

    top = at(r0, c0) * (1.0 - ops.reshape(fc, (-1, 1))) + at(r0, c1) * ops.reshape(fc, (-1, 1))
    bottom = at(r1, c0) * (1.0 - ops.reshape(fc, (-1, 1))) + at(r1, c1) * ops.reshape(fc, (-1, 1))
    out = top * (1.0 - ops.reshape(fr, (-1, 1))) + bottom * ops.reshape(fr, (-1, 1))
    return ops.reshape(out, shape)


def affine(images, angle, scale, shift_rows, shift_cols, flip):
    """Each image rotated by ``angle`` (radians), zoomed by ``scale``, shifted by whole or
    fractional pixels and mirrored where ``flip`` is 1; every argument is one value per image."""
    from keras import ops

    shape = ops.shape(images)
    h, w = shape[1], shape[2]
    ys = ops.cast(ops.arange(h), "float32") - (ops.cast(h, "float32") - 1.0) / 2.0
    xs = ops.cast(ops.arange(w), "float32") - (ops.cast(w, "float32") - 1.0) / 2.0
    y, x = ys[None, :, None], xs[None, None, :]

    def per_image(v):
        return ops.reshape(v, (-1, 1, 1))

    cos, sin, inv = per_image(ops.cos(angle)), per_image(ops.sin(angle)), per_image(1.0 / scale)
    x = x * (1.0 - 2.0 * per_image(flip))
    # output pixel -> the input position it samples: the inverse of rotate-then-zoom-then-shift
    src_x = inv * (cos * x + sin * y) - per_image(shift_cols)
    src_y = inv * (-sin * x + cos * y) - per_image(shift_rows)
    return _sample(images, src_y + (ops.cast(h, "float32") - 1.0) / 2.0, src_x + (ops.cast(w, "float32") - 1.0) / 2.0)


@dataclass(frozen=True)
class Augment:
    """Random changes to real training images; each value is the largest change, 0 = off."""

    flip: bool = False  # mirror left-right with probability 1/2
    rotate: float = 0.0  # degrees, either way
    scale: float = 0.0  # zoom factor in [1 - scale, 1 + scale]
    translate: float = 0.0  # shift, as a share of the side, either way
    brightness: float = 0.0  # added, as a share of the pixel range, either way
    contrast: float = 0.0  # distance from the image's mean times [1 - contrast, 1 + contrast]

    @classmethod
    def from_train(cls, train) -> "Augment":
        """The augmentation a TrainConfig asks for."""
        return cls(
            flip=train.augment_flip,
            rotate=train.augment_rotate,
            scale=train.augment_scale,
            translate=train.augment_translate,
            brightness=train.augment_brightness,
            contrast=train.augment_contrast,
        )

    @property
    def active(self) -> bool:
        return any((self.flip, self.rotate, self.scale, self.translate, self.brightness, self.contrast))

    def describe(self) -> str:
        parts = []
        if self.flip:
            parts.append("mirror")
        if self.rotate:
            parts.append(f"rotate ±{self.rotate:g}°")
        if self.scale:
            parts.append(f"zoom ±{self.scale:.0%}")
        if self.translate:
            parts.append(f"shift ±{self.translate:.0%}")
        if self.brightness:
            parts.append(f"brightness ±{self.brightness:.0%}")
        if self.contrast:
            parts.append(f"contrast ±{self.contrast:.0%}")
        return ", ".join(parts) or "none"

    def __call__(self, images, seed, low: float = -1.0, high: float = 1.0):
        """``images`` (B, H, W, C) in [low, high], augmented; ``seed`` is a keras SeedGenerator."""
        from keras import ops, random

        if not self.active:
            return images
        n = ops.shape(images)[0]

        def uniform(limit):
            return random.uniform((n,), -limit, limit, seed=seed)

        if self.flip or self.rotate or self.scale or self.translate:
            side = ops.cast(ops.shape(images)[1], "float32")
            angle = uniform(math.radians(self.rotate)) if self.rotate else ops.zeros((n,))
            scale = 1.0 + uniform(self.scale) if self.scale else ops.ones((n,))
            rows = uniform(self.translate) * side if self.translate else ops.zeros((n,))
            cols = uniform(self.translate) * side if self.translate else ops.zeros((n,))
            flip = ops.cast(random.uniform((n,), seed=seed) < 0.5, "float32") if self.flip else ops.zeros((n,))
            images = affine(images, angle, scale, rows, cols, flip)
        if self.contrast:
            mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
            images = mean + (images - mean) * ops.reshape(1.0 + uniform(self.contrast), (-1, 1, 1, 1))
        if self.brightness:
            images = images + ops.reshape(uniform(self.brightness) * (high - low), (-1, 1, 1, 1))
        return ops.clip(images, low, high)


def diff_augment(images, policy: str, seed, span: float = 2.0):
    """DiffAugment's ``policy`` (comma-separated: color, translation, cutout) on a batch.

    As in the paper: colour adds brightness in [-0.5, 0.5] (for a range of 2),
    scales saturation by [0, 2] and contrast by [0.5, 1.5]; translation shifts by
    up to 1/8 of the side in whole pixels (edges repeated); cutout zeroes one square
    of half the side at a random place. Every operation is differentiable in the
    pixels, so G's gradient passes through.
    """
    from keras import ops, random

    if policy in ("", "off"):
        return images
    shape = ops.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    steps = policy.split(",")
    if "color" in steps:
        images = images + ops.reshape(random.uniform((n,), -0.5, 0.5, seed=seed) * span / 2.0, (-1, 1, 1, 1))
        mean = ops.mean(images, axis=3, keepdims=True)
        images = mean + (images - mean) * ops.reshape(random.uniform((n,), 0.0, 2.0, seed=seed), (-1, 1, 1, 1))
        mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
        images = mean + (images - mean) * ops.reshape(random.uniform((n,), 0.5, 1.5, seed=seed), (-1, 1, 1, 1))
    if "translation" in steps:
        limit_r, limit_c = ops.cast(h, "float32") / 8.0, ops.cast(w, "float32") / 8.0
        rows = ops.round(random.uniform((n,), -1.0, 1.0, seed=seed) * limit_r)
        cols = ops.round(random.uniform((n,), -1.0, 1.0, seed=seed) * limit_c)
        zero = ops.zeros((n,))
        images = affine(images, zero, ops.ones((n,)), rows, cols, zero)
    if "cutout" in steps:
        hf, wf = ops.cast(h, "float32"), ops.cast(w, "float32")
        cy = random.uniform((n,), 0.0, 1.0, seed=seed) * hf
        cx = random.uniform((n,), 0.0, 1.0, seed=seed) * wf
        ys = ops.cast(ops.arange(h), "float32")[None, :, None]
        xs = ops.cast(ops.arange(w), "float32")[None, None, :]
        inside = ops.logical_and(
            ops.abs(ys - ops.reshape(cy, (-1, 1, 1))) < hf / 4.0, ops.abs(xs - ops.reshape(cx, (-1, 1, 1))) < wf / 4.0
        )
        images = images * (1.0 - ops.cast(inside, images.dtype))[..., None]
    return images
