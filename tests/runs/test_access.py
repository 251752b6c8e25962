"""Roles are enforced by genlib itself: a request that skips the page's buttons meets the same rules."""

import pytest

from genlib import data
from genlib.access import LOCAL, Forbidden, Limits, Role, User, clean_name
from genlib.errors import GenlibError
from genlib.models import make_config
from genlib.runs import JobManager, RunStore
from genlib.runs.tasks import TaskQueue
from genlib.training import TrainConfig, build_config

VIEWER = User("guest", Role.VIEWER)
ANN, BOB = User("Ann", Role.TRAINER), User("Bob", Role.TRAINER)


@pytest.fixture(scope="module")
def config():
    return build_config(TrainConfig(dataset="digits", family="gan", epochs=2), make_config("gan"))


def jobs(**limits):
    return JobManager(RunStore(), Limits(**limits), autostart=False)


def test_a_viewer_can_start_stop_delete_or_upload_nothing(config, tmp_path):
    manager = jobs()
    run = manager.start(config, LOCAL)
    with pytest.raises(Forbidden):
        manager.start(config, VIEWER)
    with pytest.raises(Forbidden):
        manager.stop(run.id, VIEWER)
    with pytest.raises(Forbidden):
        manager.store.delete(run.id, VIEWER)
    with pytest.raises(Forbidden):
        TaskQueue().submit_import(VIEWER, "mine", ("x.npy", b"\x93NUMPY"))
    with pytest.raises(Forbidden):
        TaskQueue().submit_evaluate(VIEWER, [run.id], 1000)
    with pytest.raises(Forbidden):
        TaskQueue().submit_export(VIEWER, run.id, "onnx")
    assert [r.id for r in manager.store.list()] == [run.id] and run.status()["state"] == "queued"
    assert not (tmp_path / "home" / "tasks").exists() or not list((tmp_path / "home" / "tasks").iterdir())


def test_a_trainer_manages_only_their_own_runs_and_the_presenter_all(config):
    manager = jobs()
    ann_run = manager.start(config, ANN, title="  wide   generator ")
    assert ann_run.owner == "Ann" and ann_run.read_config()["title"] == "wide generator"
    assert ann_run.summary()["owner"] == "Ann"
    with pytest.raises(Forbidden, match="Ann's run"):
        manager.stop(ann_run.id, BOB)
    with pytest.raises(Forbidden):
        manager.store.delete(ann_run.id, BOB)
    with pytest.raises(Forbidden):
        TaskQueue().submit_evaluate(BOB, [ann_run.id], 1000)
    with pytest.raises(Forbidden, match="Ann's run"):
        TaskQueue().submit_export(BOB, ann_run.id, "bundle")
    with pytest.raises(Forbidden):
        TaskQueue().submit_import(ANN, "mine", ("x.npy", b""))  # imports are the presenter's
    manager.stop(ann_run.id, ANN)  # still waiting in line: taken out without any process
    assert ann_run.status()["state"] == "stopped"
    manager.resume(ann_run.id, ANN)
    assert manager.position(ann_run.id) == 1
    manager.stop(ann_run.id, LOCAL)
    manager.store.delete(ann_run.id, LOCAL)
    assert manager.store.list() == []


def test_a_trainer_has_a_quota_of_queued_runs(config):
    manager = jobs(queued_per_user=2)
    manager.start(config, ANN)
    manager.start(config, ANN)
    with pytest.raises(Forbidden, match="limit is 2"):
        manager.start(config, ANN)
    manager.start(config, BOB)  # others are not held back by Ann's quota
    for _ in range(3):
        manager.start(config, LOCAL)  # nor is the presenter
    assert len(manager.queue()) == 6


def test_only_the_presenter_deletes_datasets(tmp_path):
    import numpy as np

    np.save(tmp_path / "x.npy", np.zeros((10, 8, 8), np.uint8))
    data.import_dataset(tmp_path / "x.npy", "shared-set")
    with pytest.raises(Forbidden):
        data.delete_dataset("shared-set", ANN)
    data.delete_dataset("shared-set", LOCAL)


@pytest.mark.parametrize("text", ["", " ", "x" * 33, "a/b", "<script>", "a\x00b"])
def test_display_names_are_short_and_plain(text):
    with pytest.raises(GenlibError):
        clean_name(text)


def test_display_names_are_tidied():
    assert clean_name("  Ann   Lee ") == "Ann Lee" and clean_name("O'Neil-2") == "O'Neil-2"
