"""Every registered family: building, training, generation, saving. Parametrised over the registry."""

import subprocess
import sys

import keras
import numpy as np
import pytest

from genlib.models import create_model, get_family, list_families, load_model, make_config
from genlib.models.layout import upsample_plan
from genlib.models.nets.adversarial import AdversarialModel
from genlib.models.nets.blocks import recompute_batchnorm_statistics
from genlib.training.backends import backend

FAMILIES = list_families()
# By what a family is, not by name: a new GAN family is tested here with no change to this file.
GAN_FAMILIES = [f for f in FAMILIES if get_family(f).adversarial]
SHAPE = (8, 8, 1)


def small_model(family, **overrides):
    return create_model(family, make_config(family, image_shape=SHAPE, num_classes=4, **overrides))


def weights(model):
    return [v.numpy() for v in model.trainable_variables]


def test_registry_lists_the_four_families():
    assert FAMILIES[:4] == ["gan", "dcgan", "cgan", "vae"]


def test_cards_are_read_without_keras_and_name_their_own_model_class():
    """Listing families, every preset's config, what runs log and a link's choices: no Keras, no TensorFlow
    (the app's first page stands on these). Each card's model class says it belongs to that card."""
    script = (
        "import sys\n"
        "from genlib.choices import Choices\n"
        "from genlib.models import get_family, list_families, log_keys, make_config\n"
        "for f in list_families():\n"
        "    for p in get_family(f).presets:\n"
        "        log_keys(f, make_config(f, p, image_shape=(8, 8, 1), num_classes=4).to_dict())\n"
        "Choices.from_query({'family': 'dcgan', 'preset': 'wgan-gp', 'filters': '16'})\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    for family in FAMILIES:
        card = get_family(family)
        assert card.model_class.card is card
        assert issubclass(card.model_class, AdversarialModel) == card.adversarial


class TestBuilding:
    @pytest.mark.parametrize("family", FAMILIES)
    def test_summary_has_layers_shapes_and_params(self, family):
        info = small_model(family).describe()
        assert info["params"] == sum(n["params"] for n in info["networks"].values()) > 0
        for net in info["networks"].values():
            assert net["layers"] and all({"layer", "type", "output_shape", "params"} <= set(r) for r in net["layers"])
            assert sum(r["params"] for r in net["layers"]) == net["params"]

    @pytest.mark.parametrize("family", ["dcgan", "cgan", "vae"])
    @pytest.mark.parametrize("shape", [(8, 8, 1), (12, 20, 1), (28, 28, 1), (32, 32, 3), (64, 64, 3)])
    def test_networks_adapt_to_the_image_shape(self, family, shape):
        overrides = {"architecture": "conv"} if family == "vae" else {}
        cfg = make_config(family, image_shape=shape, num_classes=3, **overrides)
        model = create_model(family, cfg)
        assert tuple(model.sampling_network.output.shape[1:]) == shape

    def test_upsample_plan(self):
        assert upsample_plan(8, 8) == (2, 2, 2)
        assert upsample_plan(28, 28) == (7, 7, 2)
        assert upsample_plan(32, 32) == (4, 4, 3)
        assert upsample_plan(64, 64) == (4, 4, 4)

    def test_gan_presets_reproduce_the_seed_architectures(self):
        seed1 = create_model("gan", make_config("gan", "seed-001"))
        dense = lambda net: [r["output_shape"] for r in net["layers"] if r["type"] == "Dense"]  # noqa: E731
        nets = seed1.describe()["networks"]
        assert dense(nets["generator"]) == ["(batch, 128)", "(batch, 256)", "(batch, 512)", "(batch, 784)"]
        assert dense(nets["discriminator"]) == ["(batch, 512)", "(batch, 256)", "(batch, 1)"]
        seed2 = create_model("gan", make_config("gan", "seed-002"))
        g2 = seed2.describe()["networks"]["generator"]
        assert dense(g2) == ["(batch, 256)", "(batch, 512)", "(batch, 1024)", "(batch, 784)"]
        assert sum(r["type"] == "BatchNormalization" for r in g2["layers"]) == 3
        assert seed2.output_activation == "sigmoid" and seed1.output_activation == "tanh"

    def test_vae_seed_is_784_400_20(self):
        model = create_model("vae", make_config("vae", "seed"))
        enc = model.describe()["networks"]["encoder"]["layers"]
        assert [r["output_shape"] for r in enc if r["type"] == "Dense"] == [
            "(batch, 400)",
            "(batch, 20)",
            "(batch, 20)",
        ]


class TestTraining:
    @pytest.mark.parametrize("family", FAMILIES)
    def test_a_few_compiled_steps_give_finite_losses_and_change_weights(self, family, tiny_images):
        images, labels = tiny_images
        model = small_model(family)
        be = backend()
        step = be.compile_step(model, jit_compile=True)
        x, y = be.to_device(model.to_model_range(images)), be.to_device(labels, "int32")
        before = weights(model)
        for i in range(3):
            logs = step(x, y, np.arange(16, dtype=np.int32) + 16 * i)
        values = {k: float(v) for k, v in logs.items()}
        assert set(values) == set(model.card.log_keys(model.config))  # what the model says it logs
        assert all(np.isfinite(v) for v in values.values())
        changed = [not np.array_equal(a, b) for a, b in zip(before, weights(model), strict=True)]
        assert all(changed), "every trainable variable should move"

    @pytest.mark.parametrize("family", FAMILIES)
    def test_keras_fit_uses_the_same_phases(self, family, tiny_images):
        images, labels = tiny_images
        model = small_model(family)
        model.compile(jit_compile=False)
        history = model.fit(model.to_model_range(images), labels, batch_size=32, epochs=1, verbose=0)
        assert set(history.history) == set(model.card.log_keys(model.config))


class TestGeneration:
    @pytest.mark.parametrize("family", FAMILIES)
    def test_generate_shape_dtype_and_seeding(self, family):
        model = small_model(family)
        a, b, c = model.generate(5, seed=1), model.generate(5, seed=1), model.generate(5, seed=2)
        assert a.shape == (5, *SHAPE) and a.dtype == np.uint8
        assert np.array_equal(a, b) and not np.array_equal(a, c)

    def test_cgan_draws_the_requested_classes(self):
        model = small_model("cgan")
        out = model.generate(labels=[3, 3, 0])
        assert out.shape == (3, *SHAPE)
        grid, ncols = model.sample_grid(seed=0)
        assert grid.shape[0] == 4 * 8 and ncols == 8  # a row of eight per class

    def test_vae_reconstructs_and_encodes(self, tiny_images):
        model = small_model("vae")
        images = tiny_images[0][:6]
        assert model.reconstruct(images).shape == images.shape
        assert model.encode(images).shape == (6, model.config.latent_dim)


class TestSaving:
    @pytest.mark.parametrize("family", FAMILIES)
    def test_keras_round_trip_keeps_weights_optimizer_and_config(self, family, tiny_images, tmp_path):
        images, labels = tiny_images
        model = small_model(family)
        be = backend()
        step = be.compile_step(model, jit_compile=False)
        step(be.to_device(model.to_model_range(images)), be.to_device(labels, "int32"), np.arange(16, dtype=np.int32))
        model.trained_epochs.assign(7)
        model.save(tmp_path / "m.keras")
        loaded = load_model(tmp_path / "m.keras")
        assert type(loaded) is type(model) and loaded.config == model.config
        assert int(loaded.trained_epochs.numpy()) == 7
        assert np.array_equal(loaded.generate(4, seed=3), model.generate(4, seed=3))
        for a, b in zip(model.phases(), loaded.phases(), strict=True):
            assert int(a.optimizer.iterations.numpy()) == int(b.optimizer.iterations.numpy()) == 1

    @pytest.mark.parametrize("family", FAMILIES)
    def test_generator_alone_loads_without_genlib_classes(self, family, tmp_path):
        import keras

        model = small_model(family)
        model.sampling_network.save(tmp_path / "g.keras")
        assert isinstance(keras.saving.load_model(tmp_path / "g.keras"), keras.Model)


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_weight_average_trails_the_generator_samples_and_saves(family, tmp_path):
    model = small_model(family, ema=0.5)
    step = backend().compile_step(model, jit_compile=False)
    images = np.random.default_rng(0).uniform(-1, 1, (16, *SHAPE)).astype("float32")
    labels = np.arange(16, dtype="int32") % 4
    start = model.ema_generator.get_weights()[0].copy()
    for _ in range(3):
        step(images, labels, np.arange(16, dtype="int32"))
    live, average = model.generator.get_weights()[0], model.ema_generator.get_weights()[0]
    assert not np.allclose(average, start) and not np.allclose(average, live)
    assert model.sampling_network is model.ema_generator
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert np.allclose(again.ema_generator.get_weights()[0], average)
    assert np.array_equal(again.generate(8, seed=3), model.generate(8, seed=3))
    assert small_model(family).ema_generator is None  # off by default, as in the tutorials


def test_weight_average_warms_up_so_the_initial_weights_are_forgotten(tmp_path):
    """The decay is (1 + t) / (10 + t) after t generator updates, capped at ``ema``: 0.999 from
    the first update would keep most of the untrained generator for the first thousand steps."""
    model = small_model("dcgan", ema=0.999)
    step = backend().compile_step(model, jit_compile=False)
    images = np.random.default_rng(0).uniform(-1, 1, (16, *SHAPE)).astype("float32")
    labels = np.arange(16, dtype="int32") % 4
    average = model.ema_generator.get_weights()[0].copy()
    for t in (1, 2, 3):
        step(images, labels, np.arange(16, dtype="int32"))
        decay = min(0.999, (1 + t) / (10 + t))
        average = decay * average + (1 - decay) * model.generator.get_weights()[0]
        assert np.allclose(model.ema_generator.get_weights()[0], average, atol=1e-6)


def test_sample_std_scales_the_latents_only_when_sampling():
    model = small_model("gan", sample_std=0.5)
    assert np.allclose(model.sample_latents(4, 1), 0.5 * small_model("gan").sample_latents(4, 1))


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_label_smoothing_lowers_the_real_target_of_the_discriminator(family, monkeypatch):
    plain, smooth = small_model(family), small_model(family, label_smoothing=0.1)
    smooth.discriminator.set_weights(plain.discriminator.get_weights())
    rng = np.random.default_rng(0)
    fake = keras.ops.convert_to_tensor(rng.uniform(-1, 1, (8, *SHAPE)).astype("float32"))
    for model in (plain, smooth):  # the same fake images for both; the loss is what is compared
        monkeypatch.setattr(model, "_fake", lambda batch: fake)
    images = rng.uniform(-1, 1, (8, *SHAPE)).astype("float32")
    batch = {"images": keras.ops.convert_to_tensor(images), "labels": keras.ops.arange(8, dtype="int32") % 4}
    real_logits = np.asarray(plain._logits(batch["images"], batch))
    # BCE(l, t) = max(l, 0) - l t + log(1 + e^-|l|): lowering t by 0.1 adds 0.1 * mean(l).
    gap = float(smooth.discriminator_loss(batch)[0]) - float(plain.discriminator_loss(batch)[0])
    assert gap == pytest.approx(0.1 * real_logits.mean(), abs=1e-5)


def test_discriminator_can_learn_faster_than_the_generator():
    model = small_model("dcgan", learning_rate=1e-4, d_learning_rate=4e-4)
    assert float(model.d_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(1e-4)
    same = small_model("dcgan", learning_rate=1e-4)
    assert float(same.d_optimizer.learning_rate) == pytest.approx(1e-4)


def test_recomputed_batchnorm_statistics_make_inference_match_the_batch():
    model = small_model("dcgan")
    net = model.generator
    z = np.random.default_rng(1).standard_normal((256, model.config.latent_dim)).astype("float32")
    batch_mode = np.asarray(net(z, training=True))
    assert not np.allclose(np.asarray(net(z, training=False)), batch_mode, atol=1e-3)  # fresh layers: mean 0, var 1
    assert recompute_batchnorm_statistics(net, z) == 2  # the seed map's and the one upsampling's
    assert np.allclose(np.asarray(net(z, training=False)), batch_mode, atol=1e-4)
    assert recompute_batchnorm_statistics(small_model("gan").generator, z) == 0  # seed-001 has none


@pytest.mark.parametrize("family", [f for f in GAN_FAMILIES if make_config(f).g_batchnorm])
def test_averaged_generator_samples_with_statistics_of_its_own_weights(family):
    model = small_model(family, ema=0.9)
    step = backend().compile_step(model, jit_compile=False)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (32, *SHAPE)).astype("float32")
    for _ in range(5):
        step(images, np.arange(32, dtype="int32") % 4, np.arange(32, dtype="int32"))
    z = rng.standard_normal((1024, model.config.latent_dim)).astype("float32")
    inputs = model.generator_inputs(z, np.arange(1024, dtype="int32") % 4)
    batch_mode = np.asarray(model.ema_generator(inputs, training=True))

    def gap():
        return np.abs(np.asarray(model.ema_generator(inputs, training=False)) - batch_mode).mean()

    before = gap()
    model.prepare_sampling()  # statistics from its own (other) latents
    assert gap() < before / 5


def test_layer_tables_read_the_same_however_many_models_were_built_before():
    first, second = (small_model("dcgan").describe()["networks"]["generator"]["layers"] for _ in range(2))
    names = [row["layer"] for row in first]
    assert names == [row["layer"] for row in second]
    norms = [n for n in names if n.startswith("batch_normalization")]
    assert norms[:2] == ["batch_normalization", "batch_normalization_1"]  # numbered within the network
