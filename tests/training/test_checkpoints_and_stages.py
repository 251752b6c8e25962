"""Best checkpoint and early stopping, extending a run, progressive stages across a resume,
warm start, the conditional VAE, and grids every N steps."""

import numpy as np
import pytest
from PIL import Image

from genlib.__main__ import main
from genlib.errors import GenlibError, RunError
from genlib.explore import load_run_model
from genlib.metrics import evaluate_run
from genlib.models import create_model, make_config
from genlib.runs import Run, RunStore, create_run_dir
from genlib.training import TrainConfig, Trainer, build_config
from genlib.training.warm import warm_start


def make_run(path, family="gan", preset=None, model=None, **train):
    cfg = TrainConfig(dataset="digits", family=family, **{"batch_size": 64, "eval_every": 0, **train})
    return create_run_dir(path, build_config(cfg, make_config(family, preset, **(model or {}))))


def test_early_stopping_keeps_the_best_model_which_scores_the_recorded_fid(tmp_path):
    # learning rate 0.01 makes the GAN worse after its first epochs, so FID turns back up
    run = make_run(
        tmp_path / "r",
        epochs=30,
        eval_every=1,
        eval_share=1.0,  # every epoch, whatever it costs: patience counts evaluations
        eval_samples=500,
        early_stopping=2,
        model={"learning_rate": 0.01},
    )
    status = Trainer(run).fit()
    evals = {r["epoch"]: r["fid"] for r in run.metrics("eval")}
    best_epoch = min(evals, key=evals.get)
    assert status["state"] == "completed" and "did not improve for 2 evaluations" in status["stopped_early"]
    assert max(evals) == best_epoch + 2 < 30  # stopped two evaluations after the best
    assert status["best"] == {"epoch": best_epoch, "fid": pytest.approx(evals[best_epoch])}
    assert run.best_path.is_file() and not list(run.best_path.parent.glob(".*"))

    again = evaluate_run(run, n=500, report=lambda line: None)  # best by default
    assert again["epoch"] == best_epoch and again["model_file"] == "best.keras"
    assert again["scores"]["fid"] == pytest.approx(evals[best_epoch], rel=1e-6)
    last = evaluate_run(run, n=500, report=lambda line: None, which="last")
    assert last["epoch"] == max(evals) and last["scores"]["fid"] == pytest.approx(evals[max(evals)], rel=1e-6)
    assert (run.path / "eval.json").is_file() and (run.path / "eval-last.json").is_file()


def test_a_completed_run_extends_to_more_epochs_and_nothing_else_changes(workspace, capsys):
    run_dir = workspace / "ext"
    assert main(["train", "--family", "gan", "--epochs", "2", "--batch-size", "64", "--run-dir", str(run_dir)]) == 0
    run = Run(run_dir)
    before = run.read_config()
    # any other change is refused, and nothing is written
    assert main(["train", "--run-dir", str(run_dir), "--resume", "--epochs", "4", "--set", "latent_dim=8"]) == 2
    assert "only --epochs can change, but --set latent_dim=8 was given" in capsys.readouterr().err
    assert main(["train", "--run-dir", str(run_dir), "--resume", "--epochs", "4", "--seed", "9"]) == 2
    assert run.read_config() == before and run.status()["epoch"] == 2
    with pytest.raises(RunError, match="has trained 2 epochs"):
        run.extend(2)

    assert main(["train", "--run-dir", str(run_dir), "--resume", "--epochs", "4"]) == 0
    assert [r["epoch"] for r in run.metrics("epoch")] == [1, 2, 3, 4]
    after = run.read_config()
    assert after["train"]["epochs"] == 4 and {**after["train"], "epochs": 2} == before["train"]
    assert after["model"] == before["model"] and run.status()["state"] == "completed"
    assert int(load_run_model(run, "last").trained_epochs.numpy()) == 4


def test_the_job_manager_extends_a_completed_run(workspace):
    from genlib.runs import JobManager

    jobs = JobManager(autostart=False)
    run = RunStore().create(build_config(TrainConfig(epochs=1, batch_size=64, eval_every=0), make_config("gan")))
    Trainer(run).fit()
    with pytest.raises(RunError, match="give a higher epoch count"):
        jobs.resume(run.id)
    jobs.resume(run.id, epochs=3)
    assert run.status()["state"] == "queued" and run.read_config()["train"]["epochs"] == 3
    Trainer(run, resume=True, queued=True).fit()
    assert [r["epoch"] for r in run.metrics("epoch")] == [1, 2, 3]


def test_progressive_run_grows_once_and_resumes_across_the_boundary(tmp_path):
    model = {"progressive": 0.5, "filters": 8, "ema": 0.99}  # the average restarts at growth, also on resume
    run = make_run(tmp_path / "p", family="dcgan", preset="fast", model=model, epochs=4, seed=3)
    trainer = Trainer(run, report=lambda info: info["epoch"] == 2 and trainer.request_stop())
    assert trainer.fit()["state"] == "stopped"
    early = load_run_model(run)
    assert early.half_size and early.trained_side == 4 and int(early.trained_epochs.numpy()) == 1
    grid = early.generate(4, seed=0)
    assert grid.shape == (4, 8, 8, 1) and np.array_equal(grid[:, ::2, ::2], grid[:, 1::2, 1::2])  # 2x2 blocks
    z = early.sample_latents(4, 0)  # a saved stage-1 generator draws what the grids show
    np.testing.assert_array_equal(early.to_uint8(early.sampling_network(z)), grid)

    status = Trainer(run, resume=True).fit()
    assert status["state"] == "completed" and status["grown_at"] == 3 and status["trained_side"] == 8
    final = load_run_model(run)
    assert not final.half_size and final.generate(4, seed=0).shape == (4, 8, 8, 1)
    straight = make_run(tmp_path / "s", family="dcgan", preset="fast", model=model, epochs=4, seed=3)
    Trainer(straight).fit()
    assert Run(straight.path).status()["grown_at"] == 3
    resumed = {r["epoch"]: r["g_loss"] for r in run.metrics("epoch")}
    reference = {r["epoch"]: r["g_loss"] for r in straight.metrics("epoch")}
    assert resumed[4] == pytest.approx(reference[4], rel=1e-4)
    np.testing.assert_allclose(final.generate(4, seed=0), load_run_model(straight).generate(4, seed=0), atol=2)


def test_warm_start_copies_the_chosen_networks_or_says_why_not(workspace, capsys):
    store = RunStore()
    narrow = {"g_hidden": (32,), "d_hidden": (32,)}
    source = store.create(
        build_config(TrainConfig(epochs=1, batch_size=64, eval_every=0), make_config("gan", **narrow)), "src"
    )
    Trainer(source).fit()
    trained = load_run_model(source)

    fresh = create_model("gan", make_config("gan", image_shape=(8, 8, 1), num_classes=10, **narrow))
    assert warm_start(fresh, "src", "generator", store.root) == (["generator"], 1)
    for a, b in zip(fresh.generator.get_weights(), trained.generator.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fresh.discriminator.get_weights()[0], trained.discriminator.get_weights()[0])

    wider = make_config("gan", g_hidden=(64,), d_hidden=(64,))
    with pytest.raises(
        GenlibError,
        match=r"warm start: generator weight .* is \(100, 64\) here but \(100, 32\) in run src.*"
        r"Settings that differ: g_hidden \[64\] here, \[32\] there; d_hidden \[64\] here, \[32\] there\.",
    ):
        build_config(TrainConfig(epochs=1, warm_start="src"), wider)
    assert [r.id for r in store.list()] == ["src"]  # refused before any run directory exists
    with pytest.raises(GenlibError, match="no run 'nope'"):
        build_config(TrainConfig(epochs=1, warm_start="nope"), make_config("gan"))

    train = TrainConfig(epochs=1, batch_size=64, eval_every=0, warm_start="src")
    run = store.create(build_config(train, make_config("gan", **narrow)))
    Trainer(run).fit()
    assert (
        "warm start: generator, discriminator copied from run src "
        "(its best model where it kept one, else its last: epoch 1)" in capsys.readouterr().out
    )


def test_conditional_vae_draws_the_asked_class(workspace):
    run = make_run(workspace / "cv", family="cvae", preset="conv", epochs=15, eval_every=15, eval_samples=500)
    Trainer(run).fit()
    model = load_run_model(run)
    assert model.conditional and model.generate(labels=[3, 3, 8]).shape == (3, 8, 8, 1)
    score = run.metrics("eval")[-1]
    assert score["label_accuracy"] > 0.6  # the evaluator's classifier agrees with the asked class
    grid = Image.open(run.sample_path(15))
    assert grid.size[1] > grid.size[0]  # one row of eight per class: 10 rows
    from genlib.data import load_dataset
    from genlib.explore import latent_map, reconstructions

    ds = load_dataset("digits")
    pairs = reconstructions(model, ds.images[:10], ds.labels[:10])
    assert pairs.shape == (20, 8, 8, 1) and np.abs(pairs[10:].astype(int) - pairs[:10]).mean() < 60
    assert latent_map(model, ds.images[:50], ds.labels[:50]).shape == (50, 2)


def test_grids_every_n_steps_and_of_sixteen_images(tmp_path):
    run = make_run(tmp_path / "g", epochs=2, sample_every=10, grid_size=16)  # 28 steps an epoch
    Trainer(run).fit()
    assert [p.name for p in run.step_sample_paths()] == [f"step_{s:07d}.png" for s in (10, 20, 30, 40, 50)]
    epoch_grid, step_grid = Image.open(run.sample_path(2)), Image.open(run.step_sample_paths()[0])
    assert epoch_grid.size == step_grid.size and epoch_grid.size[0] == epoch_grid.size[1]
    wide = make_run(tmp_path / "w", epochs=1)
    Trainer(wide).fit()
    assert Image.open(wide.sample_path(1)).size[0] > 1.8 * epoch_grid.size[0]  # 8 columns against 4
