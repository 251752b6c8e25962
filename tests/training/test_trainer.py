"""The trainer against real (tiny) training: run directory format, determinism, failure."""

import json

import numpy as np
import pytest
from PIL import Image

from genlib.errors import GenlibError
from genlib.models import make_config
from genlib.runs import Run, create_run_dir
from genlib.training import TrainConfig, Trainer, build_config


def new_run(path, family="gan", epochs=2, seed=0, **model_overrides):
    train = TrainConfig(dataset="digits", family=family, epochs=epochs, batch_size=64, seed=seed, log_every=5)
    return create_run_dir(path, build_config(train, make_config(family, **model_overrides)))


def test_run_directory_follows_the_format(tmp_path):
    run = new_run(tmp_path / "r", epochs=2)
    reports = []
    status = Trainer(run, report=reports.append).fit()
    assert status["state"] == "completed" and status["epoch"] == 2 and status["error"] is None
    cfg = json.loads(run.config_path.read_text())
    assert set(cfg) == {"train", "model", "versions"} and cfg["model"]["image_shape"] == [8, 8, 1]
    epochs = run.metrics("epoch")
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) and r["images_per_s"] > 0 for r in epochs)
    steps = run.metrics("step")
    assert steps[-1]["step"] == 2 * 28 and {"d_real", "d_fake"} <= set(steps[0])
    assert reports and reports[-1]["epoch_step"] == 28
    assert [p.name for p in run.sample_paths()] == ["epoch_0001.png", "epoch_0002.png"]
    assert Image.open(run.sample_paths()[0]).size[0] > 8 * 32  # 8 columns of upscaled 8x8 digits
    assert run.checkpoint_path.is_file()
    assert {p.name for p in run.model_dir.iterdir()} == {"model.keras", "generator.keras"}
    assert not list(run.path.rglob(".*"))  # no temporary files left behind


def first_epoch(path, seed):
    run = new_run(path, epochs=1, seed=seed)
    Trainer(run).fit()
    return {k: v for k, v in run.metrics("epoch")[0].items() if k.endswith(("loss", "real", "fake"))}


def test_same_seed_same_first_epoch_losses(tmp_path):
    a, b, c = first_epoch(tmp_path / "a", 1), first_epoch(tmp_path / "b", 1), first_epoch(tmp_path / "c", 2)
    assert a == pytest.approx(b, rel=1e-6, abs=1e-7)
    assert a != pytest.approx(c, rel=1e-3)


def test_divergence_fails_the_run_with_a_clear_message(tmp_path, monkeypatch):
    """The step is replaced (NaN losses); what is tested is how the trainer records it."""
    from genlib.training.backends import tensorflow as tf_backend

    def nan_step(model, jit_compile=True):
        return lambda images, labels, index: {"d_loss": float("nan"), "g_loss": 1.0}

    monkeypatch.setattr(tf_backend, "compile_step", nan_step)
    run = new_run(tmp_path / "r")
    with pytest.raises(GenlibError, match="diverged at epoch 1 step 1"):
        Trainer(run).fit()
    status = Run(run.path).status()
    assert status["state"] == "failed" and "lower learning_rate" in status["error"]


def test_conditional_family_needs_labels_before_any_run_exists(tmp_path):
    from genlib.data import import_dataset

    np.save(tmp_path / "x.npy", np.zeros((10, 8, 8), np.uint8))
    import_dataset(tmp_path / "x.npy", "unlabelled")
    train = TrainConfig(dataset="unlabelled", family="cgan", epochs=1)
    with pytest.raises(GenlibError, match="cgan needs class labels"):
        build_config(train, make_config("cgan"))


def test_quality_metrics_every_n_epochs_and_at_the_end(tmp_path, capsys):
    train = TrainConfig(
        dataset="digits", family="gan", epochs=5, batch_size=64, eval_every=2, eval_samples=300, eval_share=1.0
    )  # no cap on their share of the time: exactly every 2 epochs
    run = create_run_dir(tmp_path / "r", build_config(train, make_config("gan")))
    Trainer(run).fit()
    evals = [r for r in run.metrics() if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == [2, 4, 5]
    for r in evals:
        assert r["n"] == 300 and r["fid"] > 0 and 1.0 <= r["inception_score"] <= 10.0
        assert 0 <= r["precision"] <= 1 and 0 <= r["coverage"] <= 1 and len(r["class_counts"]) == 10
    assert "eval epoch 5 (300 samples" in capsys.readouterr().out


def test_an_epoch_is_reported_done_before_its_evaluation(tmp_path, monkeypatch):
    """The first evaluation prepares the classifier (seconds): status.json already says the epoch is done."""
    train = TrainConfig(dataset="digits", family="gan", epochs=2, batch_size=64, eval_every=1, eval_samples=200)
    run = create_run_dir(tmp_path / "r", build_config(train, make_config("gan")))
    seen, evaluate = [], Trainer._maybe_evaluate

    def watched(self, job, epoch, out_of_time):
        seen.append((epoch, self.run.raw_status()["epoch"]))
        return evaluate(self, job, epoch, out_of_time)

    monkeypatch.setattr(Trainer, "_maybe_evaluate", watched)
    Trainer(run).fit()
    assert seen == [(1, 1), (2, 2)]


def test_time_budget_ends_the_run_with_a_saved_model(tmp_path):
    train = TrainConfig(dataset="digits", family="gan", epochs=10_000, batch_size=64, time_budget_s=4, eval_every=0)
    run = create_run_dir(tmp_path / "r", build_config(train, make_config("gan")))
    status = Trainer(run).fit()
    assert status["state"] == "completed" and "time budget of 4 s" in status["stopped_early"]
    last = run.metrics("epoch")[-1]
    assert 1 <= last["epoch"] < 10_000 and np.isfinite(last["g_loss"])
    assert (run.model_dir / "model.keras").is_file() and run.sample_path(last["epoch"]).is_file()


def test_unlabelled_data_trains_without_metrics(tmp_path, tiny_images, capsys):
    from genlib.data import import_dataset

    np.save(tmp_path / "x.npy", tiny_images[0])
    import_dataset(tmp_path / "x.npy", "unlabelled")
    train = TrainConfig(dataset="unlabelled", family="gan", epochs=1, batch_size=32, eval_every=1)
    run = create_run_dir(tmp_path / "r", build_config(train, make_config("gan")))
    assert Trainer(run).fit()["state"] == "completed"
    assert not [r for r in run.metrics() if r["kind"] == "eval"]
    assert "quality metrics off: dataset 'unlabelled' has no class labels" in capsys.readouterr().out


def test_saved_weight_average_samples_with_its_own_batchnorm_statistics(tmp_path):
    from genlib.models import load_model

    run = new_run(tmp_path / "r", family="dcgan", epochs=2, filters=8, ema=0.9)
    Trainer(run).fit()
    model = load_model(run.model_dir / "model.keras")
    z = np.random.default_rng(5).standard_normal((2048, model.config.latent_dim)).astype("float32")
    batch_mode = np.asarray(model.ema_generator(z, training=True))
    # With the averaged statistics left as they were, this gap measured 0.14.
    assert np.abs(np.asarray(model.ema_generator(z, training=False)) - batch_mode).mean() < 0.01


def test_logged_values_are_means_over_their_steps_read_at_log_points(workspace):
    """Step records average the steps since the last one; the epoch record averages every step."""
    from genlib.models import make_config
    from genlib.runs import RunStore
    from genlib.training.config import TrainConfig
    from genlib.training.trainer import Trainer, _Means, build_config

    means = _Means()
    for v in (1.0, 2.0, 6.0):
        means.add({"x": np.float32(v)})
    assert means.read() == {"x": 3.0, "_steps": 3} and means.n == 0

    every_step = TrainConfig(dataset="digits", family="gan", epochs=1, batch_size=256, eval_every=0, log_every=1)
    by_three = TrainConfig(dataset="digits", family="gan", epochs=1, batch_size=256, eval_every=0, log_every=3)
    runs = [RunStore().create(build_config(t, make_config("gan"))) for t in (every_step, by_three)]
    for run in runs:
        Trainer(run).fit()
    one, three = (r.metrics("step") for r in runs)
    assert [r["step"] for r in one] == list(range(1, 8)) and [r["step"] for r in three] == [1, 3, 6, 7]
    # same seed, same steps: the grouped records are the means of the single-step ones
    assert three[1]["g_loss"] == pytest.approx(np.mean([r["g_loss"] for r in one[1:3]]), rel=1e-5)
    assert three[2]["d_acc"] == pytest.approx(np.mean([r["d_acc"] for r in one[3:6]]), rel=1e-5)
    epoch = runs[0].metrics("epoch")[0]
    assert epoch["d_loss"] == pytest.approx(np.mean([r["d_loss"] for r in one]), rel=1e-5)
