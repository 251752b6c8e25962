"""ResNet and self-attention blocks, progressive networks: shapes at every size, training, saving."""

import numpy as np
import pytest

from genlib.errors import ConfigError
from genlib.models import create_model, load_model, make_config
from genlib.models.layout import attention_sides
from genlib.models.nets.convnets import SelfAttention
from genlib.training.backends import backend


def small(family, side, channels=1, **overrides):
    cfg = make_config(
        family, "fast", image_shape=(side, side, channels), num_classes=4, filters=8, latent_dim=16, **overrides
    )
    return create_model(family, cfg)


@pytest.mark.parametrize("side", [8, 16, 28, 32, 64])
@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_networks_fit_every_image_size(side, arch):
    sides = attention_sides((side, side, 1))
    model = small("dcgan", side, 3 if side == 32 else 1, arch=arch, attention=sides[-1], progressive=0.5)
    ch = 3 if side == 32 else 1
    z = np.zeros((2, 16), np.float32)
    assert tuple(model.generator(z).shape) == (2, side, side, ch)
    assert tuple(model.generator_half(z).shape) == (2, side // 2, side // 2, ch)
    assert tuple(model.discriminator(np.zeros((2, side, side, ch), np.float32)).shape) == (2, 1)
    assert tuple(model.discriminator_half(np.zeros((2, side // 2, side // 2, ch), np.float32)).shape) == (2, 1)
    # one attention layer in each network, at the asked side
    for net in (model.generator, model.discriminator):
        att = [layer for layer in net.layers if isinstance(layer, SelfAttention)]
        assert len(att) == 1 and att[0].name.endswith(f"_{sides[-1]}")
    assert model.generate(3).shape == (3, side, side, ch)


def test_attention_side_must_be_one_the_networks_pass_through():
    with pytest.raises(ConfigError, match=r"7, 14; got 9") as info:
        make_config("dcgan", image_shape=(28, 28, 1), attention=9)
    assert info.value.field == "attention"
    assert attention_sides((28, 28, 1)) == [7, 14] and attention_sides((64, 64, 3)) == [4, 8, 16, 32]


def test_resnet_blocks_are_residual_and_differ_from_dcgan():
    dc, res = small("dcgan", 28), small("dcgan", 28, arch="resnet")
    kinds = {type(layer).__name__ for layer in res.generator.layers}
    assert {"Add", "UpSampling2D"} <= kinds and "Conv2DTranspose" not in kinds
    assert {"Add", "AveragePooling2D"} <= {type(layer).__name__ for layer in res.discriminator.layers}
    assert "Add" not in {type(layer).__name__ for layer in dc.generator.layers}


@pytest.mark.parametrize("family", ["dcgan", "cgan"])
def test_resnet_with_attention_trains_and_attention_learns(family):
    model = small(family, 16, arch="resnet", attention=8)
    be = backend()
    rng = np.random.default_rng(0)
    images = be.to_device(rng.uniform(-1, 1, (64, 16, 16, 1)).astype(np.float32))
    labels = be.to_device(rng.integers(0, 4, 64).astype(np.int32), "int32")
    step = be.compile_step(model, False)
    gammas = [
        layer.gamma
        for net in (model.generator, model.discriminator)
        for layer in net.layers
        if isinstance(layer, SelfAttention)
    ]
    assert len(gammas) == 2 and all(float(g.numpy()) == 0.0 for g in gammas)
    for i in range(3):
        logs = step(images, labels, np.arange(i * 16, i * 16 + 16, dtype=np.int32))
    assert all(np.isfinite(float(v)) for v in logs.values())
    assert all(float(g.numpy()) != 0.0 for g in gammas)  # the attention output reached the loss


def test_attention_and_progressive_models_save_and_load(tmp_path):
    model = small("dcgan", 16, arch="resnet", attention=8, progressive=0.5)
    model.grow(0.6)  # leave the half-size stage: the flag is saved with the weights
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = load_model(path)
    assert not loaded.half_size and loaded.trained_side == 16
    np.testing.assert_allclose(loaded.generate(4, seed=3), model.generate(4, seed=3), atol=1)


def test_progressive_run_restarts_its_weight_average_at_full_size(tmp_path):
    """The half-size stage trains layers the full-size generator does not use; at growth the average
    starts again from the full-size generator's weights, with the warm-up counted from there."""
    model = small("dcgan", 16, progressive=0.5, ema=0.999)
    be = backend()
    rng = np.random.default_rng(0)
    images = be.to_device(rng.uniform(-1, 1, (16, 16, 16, 1)).astype(np.float32))
    labels = be.to_device(np.zeros(16, np.int32), "int32")
    step = be.compile_step(model, False)
    for _ in range(3):
        step(images, labels, np.arange(16, dtype=np.int32))
    assert model.grow(0.5)
    grown_at = int(model.g_optimizer.iterations.numpy())
    assert grown_at > 0 and float(model.ema_start.numpy()) == grown_at
    for avg, w in zip(model.ema_generator.get_weights(), model.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(avg, w)
    average = model.ema_generator.get_weights()[0].copy()
    step = be.compile_step(model, False)  # the trainer compiles again after growing
    for t in (1, 2):
        step(images, labels, np.arange(16, dtype=np.int32))
        decay = (1 + t) / (10 + t)  # warming up again, not 0.999 from the start of the run
        average = decay * average + (1 - decay) * model.generator.get_weights()[0]
        np.testing.assert_allclose(model.ema_generator.get_weights()[0], average, atol=1e-6)
    assert model.sampling_network is model.ema_generator
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert float(loaded.ema_start.numpy()) == grown_at and not loaded.half_size
    np.testing.assert_allclose(loaded.generate(4, seed=3), model.generate(4, seed=3), atol=1)
