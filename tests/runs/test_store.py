import subprocess
import sys
import time

import pytest

from genlib.errors import RunError
from genlib.io import write_json
from genlib.runs import JobManager, RunStore, pid_alive

CONFIG = {"train": {"dataset": "digits", "family": "gan", "epochs": 1}, "model": {}}


def test_create_list_get_delete(tmp_path):
    store = RunStore(tmp_path)
    a = store.create(CONFIG, "run-a")
    b = store.create(CONFIG)
    assert {r.id for r in store.list()} == {"run-a", b.id}
    assert store.get("run-a").status()["state"] == "queued"
    a.update_status(state="completed", pid=None)
    store.delete("run-a")
    assert [r.id for r in store.list()] == [b.id]
    with pytest.raises(RunError, match="no run named"):
        store.get("run-a")


@pytest.mark.parametrize("bad", ["../x", "A", "a/b", ""])
def test_run_ids_never_come_from_paths(tmp_path, bad):
    with pytest.raises(RunError, match="invalid run id"):
        RunStore(tmp_path).get(bad)


def test_dead_job_is_marked_interrupted(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG, "dead")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run.update_status(state="running", pid=proc.pid, started_at=time.time())
    status = run.status()
    assert status["state"] == "interrupted" and str(proc.pid) in status["error"]
    assert run.raw_status()["state"] == "interrupted"  # persisted for every reader


def test_live_process_of_another_program_is_not_our_job(tmp_path):
    """A recycled pid belongs to a process whose command line does not name the run."""
    store = RunStore(tmp_path)
    run = store.create(CONFIG, "reused")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(proc.pid)
        run.update_status(state="running", pid=proc.pid)
        assert run.status()["state"] == "interrupted"
    finally:
        proc.kill()
        proc.wait()


def test_running_run_cannot_be_deleted_and_completed_cannot_resume(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG, "busy")
    with run.lock():  # as its trainer holds it
        run.update_status(state="running", pid=12345)
        assert run.status()["state"] == "running"
        with pytest.raises(RunError, match="stop it before deleting"):
            store.delete("busy")
        with pytest.raises(RunError, match="being trained by another process"):
            run.lock()  # a second trainer is refused
    assert run.status()["state"] == "interrupted"  # the lock went with its holder
    done = store.create(CONFIG, "done")
    done.update_status(state="completed")
    with pytest.raises(RunError, match="has completed its epochs; give a higher epoch count"):
        JobManager(store).resume("done")


def test_metrics_keep_the_newest_record_per_step(tmp_path):
    from genlib.io import append_jsonl

    run = RunStore(tmp_path).create(CONFIG, "m")
    for record in [
        {"kind": "step", "epoch": 1, "step": 1, "g_loss": 1.0},
        {"kind": "epoch", "epoch": 1, "g_loss": 1.0},
        {"kind": "step", "epoch": 2, "step": 2, "g_loss": 5.0},  # stopped mid-epoch 2
        {"kind": "step", "epoch": 2, "step": 2, "g_loss": 2.0},  # after resume
        {"kind": "epoch", "epoch": 2, "g_loss": 2.0},
    ]:
        append_jsonl(run.metrics_path, record)
    run.metrics_path.open("a").write('{"kind": "step", "ep')  # a line still being written
    assert [r["g_loss"] for r in run.metrics("step")] == [1.0, 2.0]
    assert [r["epoch"] for r in run.metrics("epoch")] == [1, 2]


def test_sample_grids_are_in_epoch_order_past_four_digits(tmp_path):
    run = RunStore(tmp_path).create(CONFIG, "long")
    run.samples_dir.mkdir()
    for epoch in (9999, 10000, 100, 1001):
        run.sample_path(epoch).write_bytes(b"")
    run.latest_sample_path.write_bytes(b"")
    assert [p.name for p in run.sample_paths()] == [
        "epoch_0100.png",
        "epoch_1001.png",
        "epoch_9999.png",
        "epoch_10000.png",
    ]


def test_run_summaries_follow_every_change_of_their_files(tmp_path):
    store = RunStore(tmp_path)
    run = store.create(CONFIG, "kept")
    assert run.summary()["state"] == "queued"
    run.update_status(state="completed", epoch=1, losses={"g_loss": 0.5})
    first = run.summary()
    assert first["state"] == "completed" and first["losses"] == {"g_loss": 0.5}
    first["losses"]["g_loss"] = 9  # a caller's change does not leak into the next reader's row
    assert store.get("kept").summary()["losses"] == {"g_loss": 0.5}
    run.update_status(losses={"g_loss": 0.25})  # same size, same second: a new file all the same
    assert store.get("kept").summary()["losses"] == {"g_loss": 0.25}
    write_json(run.config_path, {**CONFIG, "title": "renamed"})
    assert store.get("kept").summary()["title"] == "renamed"
    # a run shown as running whose process is gone turns interrupted, even after a cached look
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run.update_status(state="running", pid=proc.pid, started_at=time.time())
    assert run.summary()["state"] == "interrupted"
    (run.path / "config.json").unlink()
    assert [r.id for r in store.list()] == []


def test_a_runs_summary_names_what_it_changed_from_its_preset(tmp_path):
    """Two runs of one preset that differ look different in the Runs table."""
    from genlib.models import make_config
    from genlib.training import TrainConfig, build_config

    store = RunStore(tmp_path)
    train = TrainConfig(dataset="digits", family="dcgan", preset="five-minute")
    model = make_config("dcgan", "five-minute", image_shape=(8, 8, 1), num_classes=10, arch="resnet", top_k=0.5)
    changed = store.create(build_config(train, model), "changed")
    plain = store.create(build_config(train, make_config("dcgan", "five-minute", image_shape=(8, 8, 1))), "plain")
    assert changed.summary()["changes"] == ["blocks resnet", "top-k: share G learns from 0.5"]
    assert plain.summary()["changes"] == []
