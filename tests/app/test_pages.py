"""AppTest: every page renders, its widgets are there by key, and the main actions work."""

import io
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from genlib import paths
from genlib.models import make_config
from genlib.runs import JobManager, RunStore
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
    assert len(at.image) == 2  # samples and class means
    # A new tab gets its charts a round trip after the page shows (the browser's timer reruns the app)...
    assert not at.get("plotly_chart") and any("Drawing the class and pixel histograms" in c.value for c in at.caption)
    at.session_state["_chart_library_loaded"] = True  # ...as that rerun does
    at.run()
    assert len(at.get("plotly_chart")) == 2 and len(at.image) == 2


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def rerun_until(at: AppTest, found, timeout: float = 90.0) -> AppTest:
    """Rerun the page until ``found(at)``: for work done by the worker's processes."""
    deadline = time.time() + timeout
    while not found(at):
        assert time.time() < deadline, (
            f"timed out; errors {[e.value for e in at.error]}, warnings {[w.value for w in at.warning]}"
        )
        time.sleep(0.5)
        at.run()
    return at


def test_bad_upload_shows_an_error_and_stores_nothing():
    at = app()
    at.file_uploader(key="upload_0").upload("cats.zip", zip_bytes({"cats/1.png": b"not a png"})).run()
    at.text_input(key="import_name_0").input("cats").run()
    at.button(key="import_button").click().run()
    rerun_until(at, lambda at: any("not a readable image" in w.value for w in at.warning))
    assert "cats" not in at.selectbox(key="dataset").options
    assert not paths.datasets_dir().exists() or not any(paths.datasets_dir().iterdir())
    assert not list((paths.home() / "tasks").glob("*/upload"))  # the upload is not kept either


def test_good_upload_is_imported_and_selected():
    from PIL import Image

    png = io.BytesIO()
    Image.new("L", (8, 8), 200).save(png, format="PNG")
    at = app()
    files = {"a/1.png": png.getvalue(), "b/1.png": png.getvalue()}
    at.file_uploader(key="upload_0").upload("set.zip", zip_bytes(files)).run()
    at.text_input(key="import_name_0").input("two-class").run()
    at.button(key="import_button").click().run()
    rerun_until(at, lambda at: at.selectbox(key="dataset").value == "two-class")
    assert not at.exception and not at.error
    assert at.selectbox(key="dataset").value == "two-class" and at.metric[0].value == "2"


def test_model_page_shows_architecture_and_validates():
    at = app("model")
    assert at.title[0].value == "Model"
    assert len(at.dataframe) == 2  # generator and discriminator tables
    at.number_input(key="field_latent_dim").set_value(1).run()
    assert any("**Latent size** (`latent_dim`) must be between 2 and 512" in e.value for e in at.error)
    at.number_input(key="field_latent_dim").set_value(64).run()
    assert not at.error and at.session_state["choices"].model == {"latent_dim": 64}
    at.text_input(key="field_g_hidden").input("256, x").run()
    assert any("whole numbers separated by commas" in e.value for e in at.error)


def test_gallery_and_runs_pages_render_a_finished_run(finished_run):
    at = app("gallery")
    assert at.title[0].value == "Gallery" and not at.exception
    assert at.select_slider(key=f"epoch_{finished_run.id}").value == 2
    assert any("Reconstructions" in s.value for s in at.subheader)
    at = app("runs")
    assert at.title[0].value == "Runs" and at.dataframe


def test_exports_made_before_a_run_trained_further_say_so(finished_run):
    from genlib.export import export_model

    export_model(finished_run, "keras", which="last")
    at = app("gallery")
    notes = [m.value for m in at.markdown if "Keras" in m.value and "epoch 2" in m.value]
    assert notes and not any("Made before the run trained further" in n for n in notes)
    finished_run.extend(3)
    Trainer(finished_run, resume=True).fit()
    at.run()
    notes = [m.value for m in at.markdown if "Keras" in m.value and "epoch 2" in m.value]
    assert notes and "Made before the run trained further: its last model has changed since" in notes[0]


def test_gallery_of_a_conditional_vae_and_its_best_and_last_models():
    train = TrainConfig(dataset="digits", family="cvae", epochs=3, batch_size=128, eval_every=1, eval_samples=300)
    run = RunStore().create(build_config(train, make_config("cvae")), "cvae-run")
    Trainer(run).fit()
    at = app("gallery")
    headers = [s.value for s in at.subheader]
    assert "One row per class" in headers and "Reconstructions" in headers and not at.exception
    best = run.best()
    choice = at.radio(key="gallery_model_cvae-run")
    assert choice.value == "best" and choice.options == [
        f"Best (epoch {best['epoch']}, FID {best['fid']:.1f})",
        "Last (epoch 3)",
    ]
    assert any(f"model of epoch {best['epoch']}" in c.value for c in at.caption)
    choice.set_value("last").run()
    assert not at.exception and any("model of epoch 3" in c.value for c in at.caption)


def test_pages_without_runs_say_so():
    for page in ("train", "gallery", "runs"):
        at = app(page)
        assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)


def test_train_page_shows_health_and_quality_of_a_finished_run(finished_run):
    at = app("train")
    headers = [s.value for s in at.subheader]
    assert "Health" in headers and "Quality during training" in headers
    # two epochs leave the VAE drawing one blurry blob: the panel says so
    verdicts = [w.value for w in at.warning if "few classes produced" in w.value or "Not trained enough" in w.value]
    assert verdicts and not any("cgan" in v for v in verdicts)  # and no GAN advice for a VAE
    labels = [m.label for m in at.metric]
    assert labels[-5:] == ["FID (evaluator) ↓", "Inception Score ↑", "Class coverage ↑", "Precision ↑", "Recall ↑"]
    assert at.metric[-3].value.endswith("/10")  # coverage as classes covered


def test_evaluate_page_computes_and_shows_metrics(finished_run):
    at = app("evaluate")
    assert at.title[0].value == "Evaluate"
    assert at.multiselect(key="eval_runs").value == [finished_run.id]
    assert any("press **Compute metrics**" in i.value for i in at.info)
    at.select_slider(key="eval_samples").set_value(1000).run()
    at.button(key="eval_button").click().run()
    rerun_until(at, lambda at: at.dataframe)  # computed by a task process
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    # the run evaluated during training, so its best model is the one scored
    assert list(table.columns) == ["metric", f"{finished_run.id} (vae, epoch 2, best)", "real data"]
    coverage = list(table["metric"]).index("Class coverage ↑")
    assert table["real data"].iloc[coverage] == "10/10"
    assert (finished_run.path / "eval.json").is_file()
    assert len(at.get("plotly_chart")) == 2  # the metric bars and one class-count chart
    assert len(at.image) == 1 and any("Pixel distances" in c.value for c in at.caption)

    # Trained one epoch further (as More epochs does): the last model's stored numbers are marked, not
    # shown as now (the best model changes only if epoch 3 scores better).
    at.radio(key="eval_which").set_value("last").run()
    at.button(key="eval_button").click().run()
    rerun_until(at, lambda at: at.dataframe and "epoch 2)" in " ".join(at.dataframe[0].value.columns))
    assert not at.warning
    finished_run.extend(3)
    Trainer(finished_run, resume=True).fit()
    at.run()
    assert any("trained further since these numbers were computed" in w.value for w in at.warning)
    assert f"{finished_run.id} (vae, epoch 2, out of date)" in at.dataframe[0].value.columns


def test_evaluate_keeps_its_runs_and_sample_count_across_pages(finished_run):
    at = app("evaluate")
    at.select_slider(key="eval_samples").set_value(2000).run()
    at.multiselect(key="eval_runs").unselect(finished_run.id).run()
    at.switch_page("views/runs.py").run()
    at.switch_page("views/evaluate.py").run()
    assert at.select_slider(key="eval_samples").value == 2000 and at.multiselect(key="eval_runs").value == []


def test_evaluate_page_without_trained_runs():
    at = app("evaluate")
    assert any("No trained runs yet" in i.value for i in at.info)


def test_stop_and_resume_buttons_drive_the_job():
    jobs = JobManager(RunStore())
    train = TrainConfig(dataset="digits", family="gan", epochs=10_000, batch_size=64, eval_every=0)
    run = jobs.start(build_config(train, make_config("gan")))
    try:
        deadline = time.time() + TIMEOUT
        while not run.sample_paths() and time.time() < deadline:  # a checkpoint to resume from
            time.sleep(0.5)
        at = app("train")
        at.button(key="stop_button").click().run()
        while run.status()["state"] == "running" and time.time() < deadline:
            time.sleep(0.5)
        assert run.status()["state"] == "stopped"
        stopped_at = run.status()["epoch"]
        at.run()
        at.button(key="resume_button").click().run()
        while run.status().get("epoch", 0) <= stopped_at and time.time() < deadline:
            time.sleep(0.5)
        assert run.status()["state"] == "running" and run.status()["epoch"] > stopped_at
    finally:
        if run.status()["state"] in ("queued", "running"):
            jobs.stop(run.id)
