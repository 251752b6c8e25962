"""AppTest: every page renders, its widgets are there by key, and the main actions work."""

import io
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genlib import paths
from genlib.models import make_config
from genlib.runs import RunStore
from genlib.training import TrainConfig, Trainer, build_config

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def keys(at) -> set[str]:
    return {w.key for w in at.main if getattr(w, "key", None)} | set(at.session_state.filtered_state)


@pytest.fixture
def finished_run():
    train = TrainConfig(dataset="digits", family="vae", epochs=2, batch_size=128)
    run = RunStore().create(build_config(train, make_config("vae")), "finished-vae")
    Trainer(run).fit()
    return run


def test_opens_on_data_with_digits():
    at = app()
    assert at.title[0].value == "Data"
    assert at.selectbox(key="dataset").value == "digits"
    assert [m.value for m in at.metric][:2] == ["1,797", "8x8x1"]
    assert len(at.get("plotly_chart")) == 2 and len(at.image) == 2  # samples and class means


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_bad_upload_shows_an_error_and_stores_nothing():
    at = app()
    at.file_uploader(key="upload").upload("cats.zip", zip_bytes({"cats/1.png": b"not a png"})).run()
    at.text_input(key="import_name").input("cats").run()
    at.button(key="import_button").click().run()
    assert any("not a readable image" in e.value for e in at.error)
    assert "cats" not in at.selectbox(key="dataset").options
    assert not paths.datasets_dir().exists() or not any(paths.datasets_dir().iterdir())


def test_good_upload_is_imported_and_selected():
    from PIL import Image

    png = io.BytesIO()
    Image.new("L", (8, 8), 200).save(png, format="PNG")
    at = app()
    files = {"a/1.png": png.getvalue(), "b/1.png": png.getvalue()}
    at.file_uploader(key="upload").upload("set.zip", zip_bytes(files)).run()
    at.text_input(key="import_name").input("two-class").run()
    at.button(key="import_button").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="dataset").value == "two-class" and at.metric[0].value == "2"


def test_model_page_shows_architecture_and_validates():
    at = app("model")
    assert at.title[0].value == "Model"
    assert len(at.dataframe) == 2  # generator and discriminator tables
    at.number_input(key="field_gan_seed-001_latent_dim").set_value(1).run()
    assert any("latent_dim must be between 2 and 512" in e.value for e in at.error)
    at.number_input(key="field_gan_seed-001_latent_dim").set_value(64).run()
    assert not at.error and at.session_state["model_fields"] == {"latent_dim": 64}


def test_train_page_starts_a_job_that_creates_a_run_directory():
    at = app("train")
    at.number_input(key="epochs").set_value(1).run()
    at.button(key="start_button").click().run()
    assert not at.exception and not at.error
    runs = RunStore().list()
    assert len(runs) == 1 and runs[0].config_path.is_file()
    deadline = time.time() + TIMEOUT
    while runs[0].status()["state"] in ("queued", "running") and time.time() < deadline:
        time.sleep(0.5)
    assert runs[0].status()["state"] == "completed", runs[0].log_tail()


def test_gallery_and_runs_pages_render_a_finished_run(finished_run):
    at = app("gallery")
    assert at.title[0].value == "Gallery" and not at.exception
    assert at.select_slider(key="epoch_slider").value == 2
    assert any("Reconstructions" in s.value for s in at.subheader)
    at = app("runs")
    assert at.title[0].value == "Runs" and at.dataframe


def test_pages_without_runs_say_so():
    for page in ("train", "gallery", "runs"):
        at = app(page)
        assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)
