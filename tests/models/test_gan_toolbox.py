"""The GAN toolbox: each loss and option changes the computation as documented.

Families are picked by what they are (every registered adversarial family), not by
name, so a new GAN family is tested here without touching this file.
"""

import math

import keras
import numpy as np
import pytest
from keras import ops

from genlib.errors import ConfigError
from genlib.models import create_model, get_family, list_families, make_config
from genlib.models.adversarial import LR_SCHEDULES
from genlib.models.losses import LOSSES, get_loss
from genlib.models.nets.base import input_gradient
from genlib.training.backends import backend

GAN_FAMILIES = [f for f in list_families() if get_family(f).adversarial]
SHAPE = (8, 8, 1)


def small_gan(family, **overrides):
    return create_model(family, make_config(family, image_shape=SHAPE, num_classes=4, **overrides))


def batch_of(images, labels, n=16):
    return {
        "images": ops.convert_to_tensor(images[:n] / 127.5 - 1.0, "float32"),
        "labels": ops.convert_to_tensor(labels[:n]),
    }


def run_steps(model, images, labels, n=3):
    be = backend()
    step = be.compile_step(model, jit_compile=False)
    x, y = be.to_device(model.to_model_range(images)), be.to_device(labels, "int32")
    for i in range(n):
        logs = step(x, y, np.arange(16, dtype=np.int32) + 16 * (i % 4))
    return {k: float(v) for k, v in logs.items()}


# -- the loss table: the formulas, on known scores -----------------------------------
REAL, FAKE = np.array([2.0, -1.0], "float32"), np.array([0.5, -3.0], "float32")


def sig(x):
    return 1 / (1 + np.exp(-x))


EXPECTED = {  # (D loss with real target 1, G loss), written out from the papers' formulas
    "minimax": (
        -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE))),
        np.mean(np.log(1 - sig(FAKE))),
    ),
    "non-saturating": (
        -np.mean(np.log(sig(REAL))) - np.mean(np.log(1 - sig(FAKE))),
        -np.mean(np.log(sig(FAKE))),
    ),
    "lsgan": (0.5 * np.mean((REAL - 1) ** 2) + 0.5 * np.mean(FAKE**2), 0.5 * np.mean((FAKE - 1) ** 2)),
    "hinge": (np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE)), -np.mean(FAKE)),
    "wgan": (np.mean(FAKE) - np.mean(REAL), -np.mean(FAKE)),
    "wgan-gp": (np.mean(FAKE) - np.mean(REAL), -np.mean(FAKE)),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_each_loss_computes_its_papers_formula(name):
    rule = get_loss(name)
    d, g = EXPECTED[name]
    assert float(rule.d_loss(REAL, FAKE, 1.0)) == pytest.approx(d, rel=1e-5)
    assert float(rule.g_loss(FAKE)) == pytest.approx(g, rel=1e-5)


def test_minimax_generator_loss_saturates_where_non_saturating_does_not():
    """The reason for the non-saturating loss: when D confidently rejects a fake, minimax's gradient vanishes."""
    fake = ops.convert_to_tensor(np.array([-8.0], "float32"))
    slopes = {}
    for name in ("minimax", "non-saturating"):
        slopes[name] = abs(float(input_gradient(lambda x, r=get_loss(name): r.g_loss(x), fake)[0]))
    assert slopes["minimax"] < 1e-3 < 0.9 < slopes["non-saturating"]


# -- every GAN family with every loss ----------------------------------------------------
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_every_family_trains_with_every_loss_and_logs_what_it_declares(family, loss, tiny_images):
    model = small_gan(family, loss=loss)
    before = [v.numpy().copy() for v in model.trainable_variables]
    logs = run_steps(model, *tiny_images, n=2)
    assert set(logs) == set(model.card.log_keys(model.config))
    assert all(math.isfinite(v) for v in logs.values())
    still = [v.path for a, v in zip(before, model.trainable_variables, strict=True) if np.array_equal(a, v.numpy())]
    # A score shifted by a constant leaves the Wasserstein loss (and the hinge, inside its margin) unchanged,
    # so the logit's bias has no gradient there: by the formula, not a bug.
    assert all("logit" in p and "bias" in p for p in still), still
    kinds = {k: key.kind for k, key in model.card.log_keys(model.config).items()}
    assert kinds["d_fake"] == ("score" if get_loss(loss).reads_as == "critic" else "probability")
    assert ("gp" in kinds) == (loss == "wgan-gp")


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_n_critic_updates_the_discriminator_n_times_per_generator_update(family, tiny_images):
    model = small_gan(family, n_critic=3)
    run_steps(model, *tiny_images, n=2)
    assert int(model.d_optimizer.iterations.numpy()) == 6
    assert int(model.g_optimizer.iterations.numpy()) == 2


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_wgan_clips_every_critic_weight_and_uses_rmsprop(family, tiny_images):
    model = small_gan(family, **{**get_loss("wgan").preset, "learning_rate": 0.05})
    assert isinstance(model.d_optimizer, keras.optimizers.RMSprop)
    run_steps(model, *tiny_images, n=2)
    assert max(float(np.abs(v.numpy()).max()) for v in model.discriminator.trainable_variables) <= 0.01 + 1e-7
    assert max(float(np.abs(v.numpy()).max()) for v in model.generator.trainable_variables) > 0.01  # G is not clipped


def test_wgan_gp_preset_sets_the_papers_optimizer():
    model = small_gan("dcgan", **get_loss("wgan-gp").preset)
    opt = model.d_optimizer
    assert isinstance(opt, keras.optimizers.Adam) and model.config.n_critic == 5
    assert (float(opt.learning_rate.numpy()), opt.beta_1, opt.beta_2) == pytest.approx((1e-4, 0.0, 0.9))
    assert "wgan-gp" in get_family("dcgan").presets


def test_input_gradient_is_the_gradient_and_can_be_differentiated_again():
    x = ops.convert_to_tensor(np.array([[1.0, -2.0]], "float32"))
    assert np.allclose(input_gradient(lambda t: ops.sum(t**3), x), 3 * np.array([[1.0, 4.0]]))
    w = keras.Variable(np.array(2.0, "float32"))
    import tensorflow as tf  # the test drives the outer update as a backend would

    with tf.GradientTape() as tape:
        g = input_gradient(lambda t: ops.sum(w * t**2), x)  # = 2 w x
        penalty = ops.sum(g**2)  # = 4 w^2 |x|^2
    assert float(tape.gradient(penalty, w)) == pytest.approx(8 * 2.0 * 5.0)  # d/dw = 8 w |x|^2


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_gradient_penalty_is_added_with_its_weight_and_matches_its_definition(family, tiny_images):
    model = small_gan(family, loss="wgan-gp", gp_weight=7.0)
    batch = batch_of(*tiny_images)
    real = batch["images"]
    fake = ops.stop_gradient(model._fake(batch))
    model.seed_generator.state.assign(np.array([1, 2], model.seed_generator.state.dtype))
    gp = float(model._gradient_penalty(real, fake, batch))
    # the same interpolates by hand: alpha from the same seed, the norm of D's input gradient
    model.seed_generator.state.assign(np.array([1, 2], model.seed_generator.state.dtype))
    alpha = keras.random.uniform((16, 1, 1, 1), seed=model.seed_generator)
    mixed = alpha * real + (1 - alpha) * fake
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(mixed)
        score = ops.sum(model._logits(mixed, batch))
    norms = np.sqrt((tape.gradient(score, mixed).numpy() ** 2).sum(axis=(1, 2, 3)))
    assert gp == pytest.approx(float(np.mean((norms - 1) ** 2)), rel=1e-3)
    loss, logs = model.discriminator_loss(batch)
    assert float(loss) == pytest.approx(float(logs["d_loss"]) + 7.0 * float(logs["gp"]), rel=1e-4)


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_r1_penalises_the_input_gradient_at_real_images(family, tiny_images):
    model = small_gan(family, r1=4.0)
    batch = batch_of(*tiny_images)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(batch["images"])
        score = ops.sum(model._logits(batch["images"], batch))
    expected = float(np.mean((tape.gradient(score, batch["images"]).numpy() ** 2).sum(axis=(1, 2, 3))))
    loss, logs = model.discriminator_loss(batch)
    assert float(logs["r1"]) == pytest.approx(expected, rel=1e-3)
    assert float(loss) == pytest.approx(float(logs["d_loss"]) + 0.5 * 4.0 * expected, rel=1e-3)


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_spectral_norm_keeps_each_discriminator_kernel_at_spectral_norm_one(family, tiny_images):
    model = small_gan(family, spectral_norm=True, learning_rate=0.01)
    wrapped = [layer for layer in model.discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    kernels = [layer for layer in model.discriminator.layers if hasattr(layer, "kernel")]
    assert wrapped and len(wrapped) == len(kernels)  # every layer with a kernel (not cgan's label embedding)
    run_steps(model, *tiny_images, n=8)
    for _ in range(10):  # each training call normalises the kernels with one more step of power iteration
        model._logits(batch_of(*tiny_images)["images"], batch_of(*tiny_images))
    for layer in wrapped:
        k = layer.kernel.numpy()
        top = np.linalg.svd(k.reshape(-1, k.shape[-1]), compute_uv=False)[0]
        assert top == pytest.approx(1.0, abs=0.05), layer.name
    # Without it nothing pulls a kernel back: one scaled to a norm of 5 is still far above 1 after training.
    # (An unscaled one's norm is wherever its random start puts it, sometimes near 1 by chance.)
    plain = small_gan(family, learning_rate=0.01)
    logit = next(layer for layer in plain.discriminator.layers if layer.name == "logit")
    logit.kernel.assign(5.0 * logit.kernel.numpy() / np.linalg.norm(logit.kernel.numpy()))
    run_steps(plain, *tiny_images, n=8)
    assert np.linalg.svd(logit.kernel.numpy().reshape(-1, 1), compute_uv=False)[0] > 3.0


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_feature_matching_compares_the_discriminators_mean_features(family, tiny_images):
    model = small_gan(family, feature_matching=True)
    batch = batch_of(*tiny_images)
    state = model.seed_generator.state.numpy().copy()
    loss, logs = model.generator_loss(batch)
    model.seed_generator.state.assign(state)
    fake = model._fake(batch)
    real_f = ops.mean(model._features(batch["images"], batch), axis=0)
    fake_f = ops.mean(model._features(fake, batch), axis=0)
    assert float(logs["g_loss"]) == pytest.approx(float(ops.sum((real_f - fake_f) ** 2)), rel=1e-4)
    assert len(model.trainable_variables) == len(small_gan(family).trainable_variables)  # nothing new saved


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_weight_penalties_add_l2_and_l1_of_the_kernels(family, tiny_images):
    model = small_gan(family, weight_decay=0.01, l1=0.001)
    batch = batch_of(*tiny_images)
    kernels = [v.numpy() for v in model.discriminator.trainable_variables if len(v.shape) >= 2]
    expected = 0.01 * sum((k**2).sum() for k in kernels) + 0.001 * sum(np.abs(k).sum() for k in kernels)
    loss, logs = model.discriminator_loss(batch)
    assert float(loss) - float(logs["d_loss"]) == pytest.approx(expected, rel=1e-4)


def test_batchnorm_and_dropout_switch_layers_in_either_network():
    layers_of = lambda net: [type(layer).__name__ for layer in net.layers]  # noqa: E731
    plain = small_gan("dcgan", g_batchnorm=False)
    assert "BatchNormalization" not in layers_of(plain.generator)
    rich = small_gan("dcgan", d_batchnorm=True, g_dropout=0.2, d_dropout=0.3)
    assert "BatchNormalization" in layers_of(rich.discriminator)
    assert "Dropout" in layers_of(rich.generator) and "Dropout" in layers_of(rich.discriminator)
    mlp = small_gan("gan", g_batchnorm=True, d_batchnorm=True)
    assert layers_of(mlp.generator).count("BatchNormalization") == len(mlp.config.g_hidden)


@pytest.mark.parametrize("schedule", list(LR_SCHEDULES))
def test_learning_rate_schedules_are_logged_per_epoch(schedule, workspace):
    from genlib.runs import RunStore
    from genlib.training.config import TrainConfig
    from genlib.training.trainer import Trainer, build_config

    train = TrainConfig(dataset="digits", family="gan", epochs=4, batch_size=256, eval_every=0)
    run = RunStore().create(build_config(train, make_config("gan", lr_schedule=schedule, learning_rate=1e-3)))
    assert Trainer(run).fit()["state"] == "completed"
    logged = [r["lr"] for r in run.metrics("epoch")]
    expected = [1e-3 * LR_SCHEDULES[schedule](e / 4) for e in range(4)]
    assert logged == pytest.approx(expected, rel=1e-6)
    by_hand = {"constant": [1, 1, 1, 1], "linear": [1, 0.75, 0.5, 0.25], "step": [1, 1, 0.1, 0.01]}
    if schedule in by_hand:
        assert [v / 1e-3 for v in logged] == pytest.approx(by_hand[schedule])
    assert run.log_keys()["lr"][0] == "learning_rate" and run.log_keys()["d_acc"][0] == "accuracy"


def test_learning_rate_schedule_follows_a_time_budget(workspace, monkeypatch):
    """A run ended by its time budget (the epoch count only a ceiling) decays by the share of the
    budget spent, not by the share of an epoch count it will never reach."""
    from genlib.runs import RunStore
    from genlib.training import trainer as trainer_module
    from genlib.training.config import TrainConfig
    from genlib.training.trainer import Trainer, build_config

    started = []  # the budget's clock: 30 s per epoch begun
    run_epoch = Trainer._run_epoch
    monkeypatch.setattr(
        Trainer, "_run_epoch", lambda self, job, epoch: started.append(epoch) or run_epoch(self, job, epoch)
    )
    monkeypatch.setattr(trainer_module._Throughput, "elapsed", lambda self: 30.0 * (len(started) - 1))
    train = TrainConfig(dataset="digits", family="gan", epochs=1000, batch_size=256, eval_every=0, time_budget_s=100)
    run = RunStore().create(build_config(train, make_config("gan", lr_schedule="linear", learning_rate=1e-3)))
    Trainer(run).fit()
    logged = [r["lr"] for r in run.metrics("epoch")]
    # by the share of epochs it would be 1e-3, 0.999e-3, ...
    assert logged[:4] == pytest.approx([1e-3, 0.7e-3, 0.4e-3, 0.1e-3])


# -- top-k training ------------------------------------------------------------------
@pytest.mark.parametrize("name", list(LOSSES))
def test_a_weighted_generator_loss_is_the_mean_over_the_kept_scores_only(name):
    rule = get_loss(name)
    scores = ops.convert_to_tensor(np.array([[3.0], [-1.0], [2.0], [0.5]], "float32"))
    kept = ops.convert_to_tensor(np.array([[3.0], [2.0]], "float32"))
    weights = ops.convert_to_tensor(np.array([1.0, 0.0, 1.0, 0.0], "float32"))
    assert float(rule.g_loss(scores, weights)) == pytest.approx(float(rule.g_loss(kept)), rel=1e-6)
    grad = input_gradient(lambda x: rule.g_loss(x, weights), scores).numpy().ravel()
    assert grad[1] == grad[3] == 0.0 and grad[0] != 0.0  # dropped images get no gradient


@pytest.mark.parametrize("family", GAN_FAMILIES)
def test_top_k_keeps_the_generated_images_d_rates_most_real_from_half_way(family, tiny_images):
    model = small_gan(family, top_k=0.25)
    shares = []
    for progress in (0.0, 0.25, 0.5, 0.9):
        model.set_training_progress(progress)
        shares.append(float(model.top_k_share.numpy()))
    assert shares == pytest.approx([1.0, 0.625, 0.25, 0.25])
    scores = ops.convert_to_tensor(np.array([[0.1], [5.0], [-2.0], [1.0], [0.0], [-1.0], [3.0], [2.0]], "float32"))
    assert model._top_k_weights(scores).numpy().tolist() == [0, 1, 0, 0, 0, 0, 1, 0]  # the 2 of 8 highest

    # the generator's loss is its loss on those images alone
    batch = batch_of(*tiny_images)
    state = model.seed_generator.state.numpy().copy()
    _, logs = model.generator_loss(batch)
    model.seed_generator.state.assign(state)
    scores = model._logits(model._fake(batch), batch).numpy().ravel()
    best = np.sort(scores)[-4:]  # a quarter of 16
    expected = get_loss(model.config.loss).g_loss(ops.convert_to_tensor(best[:, None]))
    assert float(logs["g_loss"]) == pytest.approx(float(expected), rel=1e-5)
    logs = run_steps(model, *tiny_images, n=2)
    assert math.isfinite(logs["g_loss"])


def test_top_k_share_is_saved_with_the_weights(tmp_path):
    from genlib.models import load_model

    model = small_gan("dcgan", top_k=0.5)
    model.set_training_progress(0.25)
    model.save(tmp_path / "m.keras")
    assert float(load_model(tmp_path / "m.keras").top_k_share.numpy()) == pytest.approx(0.75)


def test_top_k_is_off_by_default_and_refused_with_feature_matching():
    assert small_gan("dcgan").top_k_share is None
    with pytest.raises(ConfigError, match="top_k"):
        make_config("dcgan", top_k=0.5, feature_matching=True)


@pytest.mark.parametrize("loss", ["hinge", "wgan", "wgan-gp"])
def test_label_smoothing_is_refused_where_it_means_nothing(loss):
    with pytest.raises(ConfigError, match=f"label_smoothing means nothing with the {loss} loss"):
        make_config("dcgan", loss=loss, label_smoothing=0.1)
    make_config("dcgan", loss="lsgan", label_smoothing=0.1)  # a target to soften: accepted


def test_a_gradient_penalty_refuses_batchnorm_in_the_critic():
    with pytest.raises(ConfigError, match="d_batchnorm"):
        make_config("dcgan", loss="wgan-gp", d_batchnorm=True)
    with pytest.raises(ConfigError, match="d_batchnorm"):
        make_config("gan", r1=1.0, d_batchnorm=True)


def layer_kinds(net):
    """(type, units or activation) per layer, as a tutorial's listing reads."""
    out = []
    for layer in net.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            out.append(("Dense", layer.units, layer.activation.__name__))
        elif kind == "ReLU":
            out.append(("ReLU", None, None))
        elif kind == "LeakyReLU":
            out.append(("LeakyReLU", layer.negative_slope, None))
        elif kind == "BatchNormalization":
            out.append((kind, None, layer.momentum))
    return out


def test_tutorial_001_preset_is_the_tutorials_network_layer_by_layer():
    model = create_model("gan", make_config("gan", "tutorial-001"))
    relu = ("ReLU", None, None)
    assert layer_kinds(model.generator) == [
        ("Dense", 128, "linear"), relu, ("Dense", 256, "linear"), relu, ("Dense", 512, "linear"), relu,
        ("Dense", 784, "tanh"),
    ]  # fmt: skip
    assert layer_kinds(model.discriminator) == [
        ("Dense", 512, "linear"),
        relu,
        ("Dense", 256, "linear"),
        relu,
        ("Dense", 1, "linear"),
    ]  # fmt: skip  (the sigmoid is in the loss: BCE on the logit)
    for opt in (model.g_optimizer, model.d_optimizer):  # Adam with Keras's defaults
        assert isinstance(opt, keras.optimizers.Adam)
        assert (float(opt.learning_rate.numpy()), opt.beta_1, opt.beta_2) == pytest.approx((1e-3, 0.9, 0.999))


def test_tutorial_002_preset_has_its_batchnorm_generator_and_wider_discriminator():
    model = create_model("gan", make_config("gan", "tutorial-002"))
    g, d = layer_kinds(model.generator), layer_kinds(model.discriminator)
    assert [x[1] for x in g if x[0] == "Dense"] == [256, 512, 1024, 784] and g[-1][2] == "sigmoid"
    assert [x for x in g if x[0] == "BatchNormalization"] == [("BatchNormalization", None, 0.8)] * 3
    assert [x[1] for x in d if x[0] == "Dense"] == [1024, 512, 256, 1]
    assert model.output_activation == "sigmoid"


@pytest.mark.parametrize("loss, threshold", [("non-saturating", 0.0), ("hinge", 0.0), ("lsgan", 0.5)])
def test_discriminator_accuracy_counts_real_judged_real_and_generated_judged_generated(loss, threshold, monkeypatch):
    model = small_gan("gan", loss=loss)
    scores = {"real": np.array([[3.0], [threshold + 0.1], [-2.0], [threshold - 0.1]], "float32"), "fake": None}
    scores["fake"] = np.array([[-3.0], [threshold + 0.2], [threshold - 0.2], [-1.0]], "float32")
    calls = iter(["real", "fake"])
    monkeypatch.setattr(model, "_logits", lambda images, batch: ops.convert_to_tensor(scores[next(calls)]))
    monkeypatch.setattr(model, "_fake", lambda batch: batch["images"])
    batch = {"images": ops.zeros((4, *SHAPE)), "labels": ops.zeros((4,), "int32")}
    _, logs = model.discriminator_loss(batch)
    assert float(logs["d_acc"]) == pytest.approx(5 / 8)  # real: 2 of 4 above the line; generated: 3 of 4 below


def test_a_wasserstein_critics_accuracy_does_not_depend_on_its_scores_offset(monkeypatch):
    """Only differences of a WGAN critic's scores mean anything: real above generated is right, wherever both lie."""
    for offset in (0.0, 100.0, -100.0):
        model = small_gan("gan", loss="wgan-gp")
        scores = iter(
            [np.array([[5.0], [4.0], [1.0]], "float32") + offset, np.array([[2.0], [0.0], [-1.0]], "float32") + offset]
        )
        monkeypatch.setattr(model, "_logits", lambda images, batch, s=scores: ops.convert_to_tensor(next(s)))
        monkeypatch.setattr(model, "_fake", lambda batch: batch["images"])
        monkeypatch.setattr(model, "_gradient_penalty", lambda *a: ops.convert_to_tensor(0.0))
        batch = {"images": ops.zeros((3, *SHAPE)), "labels": ops.zeros((3,), "int32")}
        # midpoint (10/3 + 1/3) / 2 = 11/6: real 5, 4 above and 1 below; generated 2 above, 0 and -1 below
        assert float(model.discriminator_loss(batch)[1]["d_acc"]) == pytest.approx(4 / 6)
