"""One run, one trainer: liveness comes from the lock the trainer holds, for CLI and app runs alike."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genlib.errors import RunError
from genlib.models import make_config
from genlib.runs import JobManager, Run, RunStore
from genlib.runs.worker import Worker
from genlib.training import TrainConfig, build_config

ROOT = Path(__file__).resolve().parents[2]


def wait(predicate, timeout=120.0):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.3)


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "genlib", *args], cwd=ROOT, **kwargs)


def test_cli_started_run_is_running_and_cannot_be_resumed_twice(workspace):
    proc = cli(
        "train",
        "--family",
        "gan",
        "--epochs",
        "10000",
        "--set",
        "eval_every=0",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait(lambda: RunStore().list() and RunStore().list()[0].status().get("epoch", 0) >= 1)
        run = RunStore().list()[0]
        assert run.status()["state"] == "running" and run.trainer_alive()
        with pytest.raises(RunError, match="being trained right now"):
            JobManager().resume(run.id)
        second = subprocess.run(
            [sys.executable, "-m", "genlib", "train", "--run-dir", str(run.path), "--resume"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2 and "being trained by another process" in second.stderr
        assert "Traceback" not in second.stderr
        assert "resumed" not in run.log_tail(1000) and run.status()["state"] == "running"
        JobManager().stop(run.id)
        proc.wait(timeout=60)
        assert run.status()["state"] == "stopped" and not run.trainer_alive()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_queued_run_waits_without_a_process_then_is_alive_from_launch_and_interrupted_when_killed(workspace):
    jobs = JobManager(autostart=False)
    train = TrainConfig(dataset="digits", family="gan", epochs=10_000, eval_every=0)
    run = jobs.start(build_config(train, make_config("gan")))
    run.update_status(queued_at=time.time() - 3600, created_at=time.time() - 3600)  # an hour in line
    assert run.status()["state"] == "queued" and jobs.position(run.id) == 1 and not run.trainer_alive()
    worker = Worker(warm=False)
    try:
        assert worker.dispatch_once() == [run.id]
        assert run.trainer_alive()  # the lock was handed to the job before it started
        assert jobs.position(run.id) is None and worker.dispatch_once() == []
        wait(lambda: run.raw_status().get("state") == "running")
        os.kill(run.raw_status()["pid"], signal.SIGKILL)
        wait(lambda: not run.trainer_alive(), timeout=10)
        status = run.status()
        assert status["state"] == "interrupted" and "ended unexpectedly" in status["error"]
        assert status.get("eta_s") is None
        jobs.resume(run.id)
        assert run.status()["state"] == "queued" and jobs.position(run.id) == 1
        assert worker.dispatch_once() == [run.id] and run.trainer_alive()
    finally:
        if run.trainer_alive():
            jobs.stop(run.id)
            wait(lambda: not run.trainer_alive(), timeout=60)


def test_a_lock_fd_meant_for_another_run_is_not_adopted(tmp_path, monkeypatch):
    a, b = Run(tmp_path / "a"), Run(tmp_path / "b")
    for run in (a, b):
        run.path.mkdir()
    held = a.lock()
    monkeypatch.setenv("GENLAB_RUN_LOCK_FD", str(held.fd))
    with b.lock():  # b takes its own lock, it does not borrow a's
        assert a.trainer_alive() and b.trainer_alive()
    assert not b.trainer_alive()
    held.release()
    assert not a.trainer_alive()
