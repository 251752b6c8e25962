"""Stop (SIGTERM) and resume, through the job manager and real training processes."""

import time

import pytest

from genlib.models import make_config
from genlib.runs import JobManager, RunStore
from genlib.training import TrainConfig, Trainer, build_config

EPOCHS = 40


def wait_for(run, predicate, timeout=120.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = run.status()
        if predicate(status):
            return status
        time.sleep(0.05)
    raise AssertionError(f"timed out; last status {run.status()}; log:\n{run.log_tail()}")


def config(seed=5):
    train = TrainConfig(dataset="digits", family="gan", epochs=EPOCHS, batch_size=16, seed=seed, log_every=50)
    return build_config(train, make_config("gan", "seed-001", g_hidden=(32,), d_hidden=(32,)))


@pytest.mark.slow
def test_stop_keeps_checkpoint_and_resume_reaches_the_same_epochs(workspace):
    store = RunStore()
    jobs = JobManager(store)  # starts a worker process, as the app does
    run = jobs.start(config(), run_id="stop-me")
    wait_for(run, lambda s: s.get("state") == "running" and s.get("epoch", 0) >= 2)
    jobs.stop(run.id)
    stopped = wait_for(run, lambda s: s["state"] != "running")
    assert stopped["state"] == "stopped", run.log_tail()
    stopped_at = stopped["epoch"]
    assert 2 <= stopped_at < EPOCHS and run.checkpoint_path.is_file()
    # every one of the first 10 epochs keeps its grid; later ones at most every grid_every_s
    assert len(run.sample_paths()) >= min(stopped_at, 10) and run.latest_sample_path.is_file()

    jobs.resume(run.id)
    done = wait_for(run, lambda s: s["state"] not in ("queued", "running"))
    assert done["state"] == "completed", run.log_tail()
    epochs = run.metrics("epoch")
    assert [r["epoch"] for r in epochs] == list(range(1, EPOCHS + 1))
    assert f"resumed from checkpoint at epoch {stopped_at}" in run.log_path.read_text()

    # The same config trained without a break gives the same losses after the resume point.
    straight = store.create(config(), run_id="straight")
    Trainer(straight).fit()
    reference = {r["epoch"]: r["g_loss"] for r in straight.metrics("epoch")}
    resumed = {r["epoch"]: r["g_loss"] for r in epochs}
    for epoch in (stopped_at + 1, EPOCHS):
        assert resumed[epoch] == pytest.approx(reference[epoch], rel=1e-4), epoch
