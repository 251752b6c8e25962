"""The queue: first in line first, never more jobs than the limit, state only in the run folders."""

import os
import time

import pytest

from genlib.access import LOCAL, Limits, Role, User
from genlib.models import make_config
from genlib.runs import JobManager, RunStore
from genlib.runs import worker as worker_module
from genlib.runs.worker import Worker
from genlib.training import TrainConfig, build_config


class FakeTrainers:
    """Stands in for launching a training process (not what these tests are about): it holds
    the run's lock, as a real trainer does, so the worker sees the run as busy."""

    def __init__(self):
        self.locks = {}

    def __call__(self, run, kind, lock):
        self.locks[run.id] = os.dup(lock.fd)  # the worker closes its copy; a trainer's copy keeps the lock
        run.update_status(state="running", pid=12345)
        return _Done()

    def finish(self, run_id, store):
        os.close(self.locks.pop(run_id))
        store.get(run_id).update_status(state="completed")


class _Done:
    def poll(self):
        return 0


@pytest.fixture
def trainers(monkeypatch):
    fake = FakeTrainers()
    monkeypatch.setattr(worker_module, "launch_cold", fake)
    return fake


@pytest.fixture(scope="module")
def config():
    return build_config(TrainConfig(dataset="digits", family="gan", epochs=2), make_config("gan"))


def test_runs_start_in_order_and_never_above_the_limit(config, trainers):
    store = RunStore()
    jobs = JobManager(store, Limits(concurrent_jobs=2, queued_per_user=30), autostart=False)
    people = [User(f"p{i}", Role.TRAINER) for i in range(5)]
    runs = []
    for person in people:
        runs.append(jobs.start(config, person))
        time.sleep(0.01)  # distinct queued_at
    assert [jobs.position(r.id) for r in runs] == [1, 2, 3, 4, 5]
    worker = Worker(store, RunStore(folder="tasks"), Limits(concurrent_jobs=2), warm=False)
    assert worker.dispatch_once() == [runs[0].id, runs[1].id]
    assert worker.dispatch_once() == []  # two busy: the third waits
    assert [jobs.position(r.id) for r in runs] == [None, None, 1, 2, 3]
    trainers.finish(runs[0].id, store)
    assert worker.dispatch_once() == [runs[2].id]

    # A restart of everything: a new worker reads the same queue from the run folders.
    again = Worker(RunStore(), RunStore(folder="tasks"), Limits(concurrent_jobs=2), warm=False)
    assert again.dispatch_once() == []
    trainers.finish(runs[1].id, store)
    trainers.finish(runs[2].id, store)
    assert again.dispatch_once() == [runs[3].id, runs[4].id]


def test_a_run_stopped_while_waiting_is_never_started(config, trainers):
    jobs = JobManager(RunStore(), autostart=False)
    first, second = jobs.start(config, LOCAL), jobs.start(config, LOCAL)
    jobs.stop(first.id, LOCAL)
    worker = Worker(RunStore(), RunStore(folder="tasks"), Limits(concurrent_jobs=1), warm=False)
    assert worker.dispatch_once() == [second.id]
    assert first.status()["state"] == "stopped" and first.id not in trainers.locks


def test_a_run_the_command_line_trains_is_not_taken_by_the_worker(config, trainers):
    store = RunStore()
    run = store.create(config, here=True)  # as `python -m genlib train` creates it
    with run.lock():
        assert Worker(store, RunStore(folder="tasks"), warm=False).dispatch_once() == []


def test_a_run_stopped_between_hand_out_and_start_is_not_trained(config):
    from genlib.training import Trainer

    run = RunStore().create(config)
    run.update_status(dispatched_at=time.time())  # handed to a process ...
    JobManager(RunStore(), autostart=False).stop(run.id, LOCAL)  # ... and stopped before it took the lock
    assert Trainer(run, queued=True).fit()["state"] == "stopped"
    assert not run.metrics_path.exists() and not run.checkpoint_path.exists()
