"""Checkpoints by time, not by epoch: saved at epoch 1, every ``checkpoint_every_s``, at the end and on
stop (the last finished epoch, exactly, from memory); a SIGKILL loses at most one interval. In-training
evaluations take at most ``eval_share`` of the wall time."""

import os
import re
import signal
import time

import pytest

from genlib.models import load_model, make_config
from genlib.runs import JobManager, RunStore
from genlib.training import TrainConfig, Trainer, build_config


def gan_config(epochs=6, **train):
    train = {"eval_every": 0, **train}
    cfg = TrainConfig(dataset="digits", family="gan", epochs=epochs, batch_size=64, seed=3, **train)
    return build_config(cfg, make_config("gan", "seed-001", g_hidden=(32,), d_hidden=(32,)))


def saves(trainer):
    """Record the epochs ``trainer`` writes checkpoints/last.keras for."""
    done = []
    original = trainer._checkpoint

    def record(job, epoch):
        original(job, epoch)
        done.append(epoch)

    trainer._checkpoint = record
    return done


def test_a_stop_mid_epoch_saves_exactly_the_last_finished_epoch(capsys):
    store = RunStore()
    run = store.create(gan_config(checkpoint_every_s=3600), "stopped")
    trainer = Trainer(run)
    saved = saves(trainer)
    log_step = trainer._log_step

    def stop_in_fifth(job, epoch, epoch_step, values):
        log_step(job, epoch, epoch_step, values)
        if epoch == 5:
            trainer.request_stop()  # after 20 of epoch 5's 28 steps, as a SIGTERM would

    trainer._log_step = stop_in_fifth
    assert trainer.fit()["state"] == "stopped"
    assert saved == [1, 4]  # epoch 1, then none by time, then the stop: the state after epoch 4 from memory
    assert "stop requested: ending at epoch 5 step 20" in capsys.readouterr().out
    assert int(load_model(run.checkpoint_path).trained_epochs.numpy()) == 4

    resumed = Trainer(run, resume=True)
    assert saves(resumed) == [] and resumed.fit()["state"] == "completed"
    straight = store.create(gan_config(checkpoint_every_s=3600), "straight")
    unbroken = Trainer(straight)
    assert unbroken.fit()["state"] == "completed" and saves(unbroken) == []
    reference = {r["epoch"]: r["g_loss"] for r in straight.metrics("epoch")}
    got = {r["epoch"]: r["g_loss"] for r in run.metrics("epoch")}
    assert list(got) == [1, 2, 3, 4, 5, 6]
    for epoch in (5, 6):  # the resumed run continues exactly where the unbroken one was
        assert got[epoch] == pytest.approx(reference[epoch], rel=1e-5)


def test_checkpoints_come_by_time_and_at_the_end():
    run = RunStore().create(gan_config(epochs=8, checkpoint_every_s=3600), "by-time")
    trainer = Trainer(run)
    saved = saves(trainer)
    trainer.fit()
    assert saved == [1, 8]
    every_epoch = RunStore().create(gan_config(epochs=4, checkpoint_every_s=0), "every-epoch")
    trainer = Trainer(every_epoch)
    saved = saves(trainer)
    trainer.fit()
    assert saved == [1, 2, 3, 4]


@pytest.mark.slow
def test_a_killed_run_loses_at_most_one_checkpoint_interval():
    interval = 2.0
    jobs = JobManager(RunStore())
    run = jobs.start(gan_config(epochs=400, checkpoint_every_s=interval), run_id="killed")
    deadline = time.time() + 120
    while time.time() < deadline and int(run.raw_status().get("epoch") or 0) < 15:
        time.sleep(0.1)
    os.kill(run.raw_status()["pid"], signal.SIGKILL)
    killed_at = time.time()
    while run.trainer_alive():
        time.sleep(0.05)
    reached = max(r["epoch"] for r in run.metrics("epoch"))
    kept = int(load_model(run.checkpoint_path).trained_epochs.numpy())
    longest = max(r["seconds"] for r in run.metrics("epoch"))
    assert reached >= 15 and 1 <= kept <= reached  # (whether epoch 15 itself was due depends on the clock)
    assert killed_at - run.checkpoint_path.stat().st_mtime <= interval + longest + 1.0  # the interval's loss
    assert run.status()["state"] == "interrupted"


def test_evaluations_keep_to_their_share_of_the_wall_time(capsys):
    cfg = TrainConfig(dataset="digits", family="gan", epochs=30, batch_size=128, eval_every=1, eval_samples=2000)
    run = RunStore().create(build_config(cfg.replace(eval_share=0.1), make_config("gan")), "paced")
    Trainer(run).fit()
    out = capsys.readouterr().out
    seconds = [float(m) for m in re.findall(r"eval epoch \d+ \(2000 samples, ([\d.]+)s\)", out)]
    evals = [r["epoch"] for r in run.metrics("eval")]
    assert len(seconds) == len(evals) and evals[0] == 1 and evals[-1] == 30
    assert len(evals) < 30  # due every epoch, skipped while over the share
    wall = run.raw_status()["finished_at"] - run.raw_status()["started_at"]
    # the rule admits an evaluation while under the share, so it ends at most one evaluation over it
    assert sum(seconds[:-1]) <= 0.1 * wall + max(seconds)


def test_short_epochs_get_grids_by_time_keeping_the_first_ten_the_last_and_the_best():
    store = RunStore()
    # an hour between grids: after the first ten epochs only the last and a new best get one
    cfg = gan_config(epochs=24, grid_every_s=3600, eval_every=8, eval_share=1.0, eval_samples=300)
    run = store.create(cfg, "paced")
    Trainer(run).fit()
    kept = [int(p.stem[6:]) for p in run.sample_paths()]
    best = run.raw_status()["best"]["epoch"]
    assert best in (8, 16, 24)
    # the first ten, the last, and each epoch that set a new best FID (so the final best among them)
    assert kept[:10] == list(range(1, 11)) and kept[-1] == 24 and best in kept
    assert set(kept[10:]) <= {16, 24}
    assert len(run.metrics("epoch")) == 24 and run.latest_sample_path.is_file()

    every = store.create(gan_config(epochs=12, grid_every_s=0), "every")
    Trainer(every).fit()
    assert [int(p.stem[6:]) for p in every.sample_paths()] == list(range(1, 13))


def test_a_run_ended_by_its_time_budget_keeps_the_grid_of_its_last_epoch():
    run = RunStore().create(gan_config(epochs=10_000, grid_every_s=3600, time_budget_s=10), "budget")
    Trainer(run).fit()
    last = run.metrics("epoch")[-1]["epoch"]
    assert 10 < last < 10_000  # about 0.1 s an epoch here, several times that under load
    assert [int(p.stem[6:]) for p in run.sample_paths()] == [*range(1, 11), last]


def test_images_per_second_between_log_points_counts_the_steps_run_since():
    from genlib.training.trainer import _Throughput

    timer = _Throughput(total_images=10_000)
    timer.add(100)  # the first step: compile time, not counted
    timer.t0 -= 2.0  # two seconds of steps since then
    timer.add(200)  # read at a log point
    assert timer.rate() == pytest.approx(100, rel=0.05)
    # 400 more images run but not yet read: the rate and ETA do not sag until the next log point
    assert timer.rate(unread=400) == pytest.approx(300, rel=0.05)
    assert timer.eta(unread=400) == pytest.approx((10_000 - 700) / 300, rel=0.05)
