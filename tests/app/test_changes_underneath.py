"""Pages while runs change under them: deleted elsewhere, of other lengths, started from here."""

import shutil

import numpy as np
import pytest

from genlib.choices import Choices
from genlib.images import make_grid, save_png
from genlib.io import append_jsonl
from genlib.runs import RunStore
from tests.app.test_pages import app


def fake_run(run_id: str, epochs: int) -> object:
    """A finished run's directory as the trainer leaves it (grids and epoch records), without training."""
    run = RunStore().create(Choices("digits", "gan").build(), run_id)
    grid = make_grid(np.zeros((4, 8, 8, 1), np.uint8), ncols=2)
    for e in range(1, epochs + 1):
        save_png(grid, run.sample_path(e))
        append_jsonl(run.metrics_path, {"kind": "epoch", "epoch": e, "d_loss": 1.0 / e, "g_loss": 2.0, "seconds": 0.1})
    run.update_status(state="completed", epoch=epochs)
    return run


def test_gallery_switches_between_runs_of_different_lengths():
    long, short = fake_run("long-run", 300), fake_run("short-run", 30)
    at = app()
    at.session_state["run_id"] = long.id
    at.switch_page("views/gallery.py").run()
    assert at.select_slider(key="epoch_long-run").value == 300
    at.select_slider(key="epoch_long-run").set_value(120).run()
    at.selectbox(key="gallery_run").select(short.id).run()
    assert not at.exception
    assert at.select_slider(key="epoch_short-run").value == 30  # the newest, not 120
    at.selectbox(key="gallery_run").select(long.id).run()
    assert not at.exception and at.select_slider(key="epoch_long-run").value == 120  # kept per run


def test_gallery_shows_the_newest_epoch_of_a_run_that_grew():
    run = fake_run("growing", 3)
    at = app("gallery")
    assert at.select_slider(key="epoch_growing").value == 3
    for e in range(4, 301):
        save_png(make_grid(np.zeros((4, 8, 8, 1), np.uint8), ncols=2), run.sample_path(e))
    at.run()
    assert not at.exception and set(at.select_slider(key="epoch_growing").options) >= {"300"}


def test_train_page_survives_its_run_being_deleted_elsewhere():
    kept, doomed = fake_run("kept", 2), fake_run("doomed", 2)
    at = app()
    at.session_state["run_id"] = doomed.id
    at.switch_page("views/train.py").run()
    assert at.selectbox(key="train_run").value == doomed.id
    shutil.rmtree(doomed.path)  # another browser deletes it
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="train_run").value == kept.id
    assert any("no longer exists" in i.value for i in at.info)


def test_start_switches_to_the_new_run_and_records_the_choices(workspace):
    fake_run("older", 2)
    at = app()
    at.session_state["choices"] = Choices("shapes", "vae", "conv", {"latent_dim": 4}, {"epochs": 1, "eval_every": 0})
    at.switch_page("views/train.py").run()
    assert at.selectbox(key="train_run").value == "older"
    at.button(key="start_button").click().run()
    assert not at.exception and not at.error
    new = next(r for r in RunStore().list() if r.id != "older")
    assert at.selectbox(key="train_run").value == new.id
    train, model = new.read_config()["train"], new.read_config()["model"]
    assert (train["dataset"], train["family"], train["preset"], train["epochs"]) == ("shapes", "vae", "conv", 1)
    assert model["latent_dim"] == 4 and model["image_shape"] == [32, 32, 1]


@pytest.mark.parametrize("page", ["data", "model", "train", "gallery", "evaluate", "runs"])
def test_a_link_opens_every_page_with_its_configuration(page):
    from streamlit.testing.v1 import AppTest

    from tests.app.test_pages import ROOT, TIMEOUT

    fake_run("some-run", 2)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"dataset": "shapes", "family": "dcgan", "preset": "fast", "filters": "8", "epochs": "3"})
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception and not at.error
    c = at.session_state["choices"]
    assert (c.dataset, c.family, c.preset, c.model, c.train) == (
        "shapes",
        "dcgan",
        "fast",
        {"filters": 8},
        {"epochs": 3},
    )
