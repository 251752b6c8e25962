"""Augmentation of real images and DiffAugment: what each does to a batch, and gradients through it."""

import math

import numpy as np
import pytest
import tensorflow as tf

from genlib.data.augment import Augment, affine, diff_augment
from genlib.models import create_model, make_config


def seed():
    import keras

    return keras.random.SeedGenerator(1)


def digits_batch(n=64):
    from genlib.data import load_dataset

    ds = load_dataset("digits")
    return ds.images[:n].astype(np.float32) / 255.0 * 2 - 1


def test_quarter_turn_and_mirror_are_exact():
    img = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    one = np.ones(1, np.float32)
    zero = np.zeros(1, np.float32)
    turned = np.asarray(affine(img, one * math.pi / 2, one, zero, zero, zero))
    assert np.allclose(turned[0, :, :, 0], np.rot90(img[0, :, :, 0], k=1), atol=1e-4) or np.allclose(
        turned[0, :, :, 0], np.rot90(img[0, :, :, 0], k=-1), atol=1e-4
    )
    mirrored = np.asarray(affine(img, zero, one, zero, zero, one))
    assert np.allclose(mirrored[0, :, :, 0], img[0, :, ::-1, 0])
    shifted = np.asarray(affine(img, zero, one, one * 2, zero, zero))  # two rows down, edge row repeated
    assert np.allclose(shifted[0, 2:, :, 0], img[0, :-2, :, 0]) and np.allclose(shifted[0, 0, :, 0], img[0, 0, :, 0])


def test_no_augmentation_is_the_identity():
    x = digits_batch()
    assert not Augment().active
    assert np.array_equal(np.asarray(Augment()(x, seed())), x)


def test_brightness_and_contrast_change_each_image_within_their_limits():
    x = digits_batch(256)
    out = np.asarray(Augment(brightness=0.1)(x, seed()))
    shift = (out - x).mean(axis=(1, 2, 3))
    # clipping at the range's ends pulls some shifts in; none exceeds 0.1 of the range (2.0)
    assert np.abs(shift).max() <= 0.2 + 1e-5 and shift.std() > 0.03
    out = np.asarray(Augment(contrast=0.5)(x, seed()))
    ratio = out.std(axis=(1, 2, 3)) / x.std(axis=(1, 2, 3))
    assert ratio.min() >= 0.5 - 1e-3 and ratio.max() <= 1.5 + 1e-3 and ratio.std() > 0.1


def test_rotation_scale_and_shift_move_the_ink():
    x = -np.ones((256, 8, 8, 1), np.float32)
    x[:, 3:5, 3:5] = 1.0  # a blob in the middle, background -1
    ink = x + 1.0

    def centres(a):
        rows = np.arange(8)[None, :, None]
        return (a[..., 0] * rows).sum(axis=(1, 2)) / a[..., 0].sum(axis=(1, 2))

    out = np.asarray(Augment(translate=0.25)(x, seed())) + 1.0
    moved = np.abs(centres(out) - centres(ink))
    assert moved.max() <= 0.25 * 8 + 1e-4 and moved.mean() > 0.6  # uniform in ±2 rows: mean 1
    x = -np.ones((256, 8, 8, 1), np.float32)
    x[:, 1:3, 3:5] = 1.0  # off the centre, so turning and zooming move it
    out = np.asarray(Augment(rotate=30, scale=0.2)(x, seed())) + 1.0
    assert out.shape == x.shape and np.abs(out - (x + 1.0)).mean() > 0.05
    assert out.min() >= 0.0 and out.max() <= 2.0


def test_diff_augment_policies_and_gradients():
    x = tf.constant(np.ones((32, 16, 16, 1), np.float32) * 0.5)
    cut = np.asarray(diff_augment(x, "cutout", seed()))
    zeros = (cut == 0).mean(axis=(1, 2, 3))
    assert 0.05 < zeros.mean() <= 0.25 + 1e-6  # a square of half the side, clipped at the borders
    colour = np.asarray(diff_augment(x, "color", seed()))
    assert colour.mean(axis=(1, 2, 3)).std() > 0.1
    ramp = tf.constant(np.tile(np.arange(16, dtype=np.float32)[None, None, :, None], (32, 16, 1, 1)))
    moved = np.asarray(diff_augment(ramp, "translation", seed()))
    shift = moved[:, 8, 8, 0] - 8
    assert np.all(np.abs(shift) <= 2) and np.all(shift == np.round(shift)) and len(np.unique(shift)) > 1

    d = create_model("dcgan", make_config("dcgan", "fast", image_shape=(16, 16, 1), filters=8)).discriminator
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(d(diff_augment(x, "color,translation,cutout", seed())))
    grad = tape.gradient(y, x).numpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0  # G's gradient reaches the pixels


def test_diff_augment_goes_into_both_sides_of_the_game():
    model = create_model(
        "dcgan", make_config("dcgan", "fast", image_shape=(8, 8, 1), filters=8, diff_augment="translation,cutout")
    )
    model.phases()
    calls = []
    import genlib.models.nets.adversarial as adv

    original = adv.diff_augment

    def spy(images, policy, seed, span=2.0):
        calls.append(policy)
        return original(images, policy, seed, span)

    adv.diff_augment = spy
    try:
        batch = {"images": tf.zeros((4, 8, 8, 1)), "labels": tf.zeros((4,), tf.int32)}
        model.discriminator_loss(batch)
        model.generator_loss(batch)
    finally:
        adv.diff_augment = original
    assert calls == ["translation,cutout"] * 3  # real and generated for D, generated for G


@pytest.mark.parametrize("field", ["augment_brightness", "augment_rotate"])
def test_training_applies_the_augmentation(tmp_path, field):
    from genlib.runs import create_run_dir
    from genlib.training import TrainConfig, Trainer, build_config

    def first_epoch(name, **train):
        cfg = TrainConfig(dataset="digits", family="gan", epochs=1, batch_size=64, eval_every=0, **train)
        run = create_run_dir(tmp_path / name, build_config(cfg, make_config("gan")))
        Trainer(run).fit()
        return run.metrics("epoch")[0]["d_loss"], run.log_path

    plain, _ = first_epoch("plain")
    augmented, _ = first_epoch("aug", **{field: 0.4 if field == "augment_brightness" else 40.0})
    assert augmented != pytest.approx(plain, rel=1e-4)
