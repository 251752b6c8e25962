"""Forms say what is wrong in words, keep what was chosen, and report what they did."""

import time

import numpy as np

from genlib import data
from genlib.choices import Choices
from tests.app.test_changes_underneath import fake_run
from tests.app.test_pages import app


def test_out_of_range_training_settings_are_explained_and_block_start():
    at = app("train")
    at.number_input(key="train_epochs").set_value(0).run()
    assert any("**Epochs** must be between 1 and 10000, got 0" in e.value for e in at.error)
    assert at.button(key="start_button").disabled
    at.number_input(key="train_epochs").set_value(4).run()
    assert not at.error and not at.button(key="start_button").disabled
    assert at.session_state["choices"].train == {"epochs": 4}


def test_saved_configuration_brings_back_model_and_training_settings():
    at = app()
    at.session_state["choices"] = Choices("shapes", "dcgan", "fast", {"filters": 12}, {"epochs": 7, "seed": 3})
    at.switch_page("views/model.py").run()
    at.text_input(key="config_name").input("mine").run()
    at.button(key="save_config").click().run()
    at.session_state["choices"] = Choices()  # start over
    at.run()
    at.selectbox(key="config_pick").select("mine").run()
    at.button(key="load_config").click().run()
    c = at.session_state["choices"]
    assert (c.family, c.preset, c.model, c.train) == ("dcgan", "fast", {"filters": 12}, {"epochs": 7, "seed": 3})
    assert at.number_input(key="field_filters").value == 12
    assert any("Loaded **mine**" in s.value for s in at.success)


def test_offline_download_points_to_the_import_box(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure -- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    at = app()
    at.selectbox(key="dataset").select("mnist").run()
    assert not at.exception
    assert any("seems to be offline" in e.value for e in at.error)
    assert any("**Import a dataset** above" in i.value for i in at.info)


def test_import_reports_success_and_a_second_import_can_replace(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (40, 8, 8), dtype=np.uint8)
    buf = tmp_path / "x.npy"
    np.save(buf, images)
    at = app()
    at.file_uploader(key="upload_0").upload("x.npy", buf.read_bytes()).run()
    at.button(key="import_button").click().run()  # files but no name yet: said, nothing imported
    assert any("Name the new dataset first" in e.value for e in at.error)
    at.text_input(key="import_name_0").input("mine").run()
    at.button(key="import_button").click().run()
    wait_for_text(at, "Imported **mine**: 40 images 8x8x1, no labels")  # decoded by a task process
    assert at.selectbox(key="dataset").value == "mine"
    np.save(buf, images[:20])
    at.file_uploader(key="upload_1").upload("x.npy", buf.read_bytes()).run()
    assert not at.text_input(key="import_name_1").value  # a new form: the last import's name is not kept
    at.text_input(key="import_name_1").input("mine").run()
    at.button(key="import_button").click().run()
    assert any("already exists" in e.value for e in at.error)
    at.checkbox(key="import_overwrite").check().run()
    at.button(key="import_button").click().run()
    wait_for_text(at, "Imported **mine**: 20 images")
    assert len(data.load_dataset("mine")) == 20


def wait_for_text(at, text, timeout=60.0):
    deadline = time.time() + timeout
    while not any(text in s.value for s in at.success):
        assert time.time() < deadline, f"no {text!r}; errors: {[e.value for e in at.error + at.warning]}"
        time.sleep(0.5)
        at.run()


def test_deleting_a_dataset_goes_back_to_digits_and_other_sessions_follow(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((10, 8, 8), np.uint8))
    data.import_dataset(tmp_path / "x.npy", "gone-soon")
    other = app()  # a second browser, looking at the same dataset
    other.selectbox(key="dataset").select("gone-soon").run()
    at = app()
    at.selectbox(key="dataset").select("gone-soon").run()
    at.button(key="delete_dataset").click().run()
    assert at.selectbox(key="dataset").value == "digits" and "gone-soon" not in at.selectbox(key="dataset").options
    other.run()
    assert not other.exception and other.selectbox(key="dataset").value == "digits"
    assert any("gone-soon" in w.value and "not available" in w.value for w in other.warning)


def test_metric_changes_are_shown_in_the_unit_of_the_value():
    from views._ui import metric_delta_text

    last = {"fid": 10.0, "recall": 0.36, "coverage": 0.9, "class_counts": [1] * 10}
    before = {"fid": 12.5, "recall": 0.40, "coverage": 0.8, "class_counts": [1] * 10}
    assert metric_delta_text("recall", last, before) == "-4%"
    assert metric_delta_text("coverage", last, before) == "+1 classes"
    assert metric_delta_text("fid", last, before) == "-2.50"
    assert metric_delta_text("fid", last, None) is None
    same = {**before, "fid": 12.501}  # no change as shown: no delta (Streamlit would draw "+0" green, up)
    assert metric_delta_text("coverage", same, before) is None and metric_delta_text("fid", same, before) is None


def test_job_counts_read_as_words():
    from views._ui import jobs_text

    assert jobs_text(0, 0) == "No job training"
    assert jobs_text(1, 0) == "1 job training"
    assert jobs_text(2, 3) == "2 jobs training · 3 waiting"


def test_run_menus_show_the_title():
    from views._ui import run_label

    assert run_label({"run_id": "r1", "title": "mine", "state": "running"}) == "r1 · “mine”"
    assert run_label({"run_id": "r2", "title": "", "state": "completed"}) == "r2"


def test_compare_defaults_to_a_metric_every_run_has():
    from genlib.io import append_jsonl
    from genlib.runs import RunStore
    from views._charts import compare_metrics

    gan = fake_run("a-gan", 3)
    vae = RunStore().create(Choices("digits", "vae").build(), "a-vae")
    for e in (1, 2, 3):
        append_jsonl(vae.metrics_path, {"kind": "epoch", "epoch": e, "loss": 1.0, "kl": 0.2})
    first = next(iter(compare_metrics([gan, vae])))
    assert first.endswith("loss") and first != "d_fake"  # nothing shared yet: a loss, never D's output
    for run in (gan, vae):
        append_jsonl(run.metrics_path, {"kind": "eval", "epoch": 3, "fid": 5.0, "recall": 0.5, "n": 1000})
    series = compare_metrics([gan, vae])
    assert next(iter(series)) == "fid" and set(series["fid"]) == {"a-gan", "a-vae"}


def test_measure_replaces_the_guess_with_the_real_time_per_epoch():
    at = app()
    at.session_state["choices"] = Choices("digits", "vae", "seed", {"latent_dim": 6})
    at.switch_page("views/model.py").run()
    assert any(m.label == "Estimated time per epoch" for m in at.metric)
    at.button(key="measure_speed").click().run()
    assert not at.exception and not at.error
    (metric,) = [m for m in at.metric if m.label == "Time per epoch"]
    assert float(metric.value.rstrip(" s")) > 0 and any("measured" in c.value for c in at.caption)


def test_every_bad_field_is_named_at_once():
    at = app("model")
    at.number_input(key="field_learning_rate").set_value(5.0).run()
    at.text_input(key="field_g_hidden").input("abc").run()
    errors = [e.value for e in at.error]
    assert any("**Learning rate** must be between" in e for e in errors)
    assert any("**Generator hidden layers** (`g_hidden`) must be whole numbers" in e for e in errors)


def test_compare_keeps_a_probability_and_a_critic_score_apart():
    from genlib.io import append_jsonl
    from views._charts import compare_metrics

    bce, critic = fake_run("bce-run", 2), fake_run("critic-run", 2)
    for run, kind in ((bce, "probability"), (critic, "score")):
        run.update_status(log_keys={"d_loss": ["loss", "loss"], "d_fake": [kind, "d_fake"]})
        append_jsonl(run.metrics_path, {"kind": "epoch", "epoch": 3, "d_loss": 1.0, "d_fake": 0.3})
    series = compare_metrics([bce, critic])
    assert set(series["d_fake (probability)"]) == {"bce-run"} and set(series["d_fake (score)"]) == {"critic-run"}
    assert "d_fake" not in series and set(series["d_loss"]) == {"bce-run", "critic-run"}


def test_model_page_judges_rules_between_fields_on_every_choice_made():
    """Label smoothing after switching the wgan-gp preset to lsgan is fine; with hinge it is refused, naming hinge."""
    at = app("model")
    at.session_state["choices"] = Choices("digits", "dcgan", "wgan-gp", {"label_smoothing": 0.1, "loss": "lsgan"})
    at.run()
    assert not at.exception and not [e for e in at.error if "label_smoothing" in e.value]
    at.session_state["choices"] = Choices("digits", "dcgan", "wgan-gp", {"label_smoothing": 0.1, "loss": "hinge"})
    at.run()
    assert any("with the hinge loss" in e.value for e in at.error), [e.value for e in at.error]


def test_size_rules_are_judged_at_the_datasets_image_size():
    """Attention at side 4 suits 8x8 digits (sides 2 and 4) and not 32x32 shapes; Train's Start follows suit."""
    at = app("model")
    at.session_state["choices"] = Choices("digits", "dcgan", "resnet", {"attention": 4})
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.switch_page("views/train.py").run()
    assert not at.error and not at.button(key="start_button").disabled
    at.session_state["choices"] = Choices("shapes", "dcgan", "resnet", {"attention": 3})
    at.run()
    assert any("32x32 images: 4, 8, 16; got 3" in e.value for e in at.error), [e.value for e in at.error]
    assert at.button(key="start_button").disabled


def test_range_errors_and_rules_between_fields_are_named_together_on_both_pages():
    """A walk set attention 3 (no such side), then top-k 0.05 and progressive 0.95 (out of range): the
    attention error vanished until the other two were fixed, and Train named one problem at a time."""
    bad = Choices("digits", "dcgan", "resnet", {"attention": 3, "top_k": 0.05, "progressive": 0.95})
    at = app("model")
    at.session_state["choices"] = bad
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 3, errors
    assert any("**Top-k: share G learns from** (`top_k`) must be between 0.1 and 1" in e for e in errors)
    assert any("**Progressive: share at half size** (`progressive`) must be between" in e for e in errors)
    assert any("got 3" in e and "**Self-attention at side** (`attention`)" in e for e in errors)

    at.switch_page("views/train.py")
    at.session_state["choices"] = bad.with_train_field("epochs", -3).with_train_field("early_stopping", 2)
    at.session_state["choices"] = at.session_state["choices"].with_train_field("eval_every", 0)
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 5 and at.button(key="start_button").disabled, errors
    assert any("**Epochs** must be between 1 and 10000, got -3" in e for e in errors)
    # another field named in a message reads as the page labels it
    assert any("set **Metrics every N epochs** (`eval_every`) above 0" in e for e in errors), errors
    # Valid, but early stopping could never act: said before the run, not found out after it.
    at.session_state["choices"] = Choices("digits", "gan", "seed-001", {}, {"epochs": 4, "eval_every": 5})
    at.session_state["choices"] = at.session_state["choices"].with_train_field("early_stopping", 2)
    at.run()
    assert not at.error and any(
        "can never end this run: 4 epochs with metrics every 5 give 1 evaluation." in w.value for w in at.warning
    )


def test_compare_lists_the_settings_that_differ_and_only_those():
    from genlib.runs import RunStore
    from views._charts import settings_that_differ

    store = RunStore()
    a = store.create(Choices("digits", "dcgan", "five-minute").build(), "a")
    b = store.create(Choices("digits", "dcgan", "five-minute", {"top_k": 0.5}, {"epochs": 7}).build(), "b")
    table = settings_that_differ([a, b])
    assert list(table.columns) == ["setting", "a", "b"]
    assert table.set_index("setting").to_dict("index") == {
        "Epochs": {"a": "20", "b": "7"},
        "Top-k: share G learns from": {"a": "1.0", "b": "0.5"},
    }
    assert settings_that_differ([a, store.create(Choices("digits", "dcgan", "five-minute").build(), "c")]) is None


def test_fields_the_other_choices_leave_unused_are_greyed_out_with_the_reason():
    at = app("model")
    at.session_state["choices"] = Choices("digits", "dcgan", "default")
    at.run()
    gp = at.number_input(key="field_gp_weight")
    assert gp.disabled and "used by the wgan-gp loss only, not non-saturating" in gp.help
    assert not at.number_input(key="field_beta_2").disabled
    at.session_state["choices"] = Choices("digits", "dcgan", "wgan-gp", {"optimizer": "rmsprop"})
    at.run()
    assert not at.number_input(key="field_gp_weight").disabled
    assert at.number_input(key="field_beta_1").disabled and at.number_input(key="field_beta_2").disabled


def test_the_progress_line_says_what_a_starting_run_does_not_that_an_epoch_is_done():
    import os

    from genlib.runs import RunStore

    run = RunStore().create(Choices("digits", "gan").build(), "starting")
    with run.lock():  # as the trainer holds it: the run is alive
        run.update_status(state="running", epoch=0, step=0, pid=os.getpid(), phase="compiling the training step")
        at = app("train")
        at.session_state["train_run"] = run.id
        at.run()
        lines = [p.proto.text for p in at.get("progress")]
        assert any("epoch 0/" in t and "compiling the training step" in t for t in lines), lines
        assert not any("epoch done" in t for t in lines)
        run.update_status(epoch=1, phase="")  # between epochs: now an epoch is done
        at.run()
        assert any("epoch 1/" in p.proto.text and "epoch done" in p.proto.text for p in at.get("progress"))


def test_every_broken_rule_between_fields_is_named_and_a_loss_change_turns_off_what_it_leaves_meaningless():
    at = app("model")
    # label smoothing with hinge, and attention at a side 8x8 digits never pass through: both named at once
    at.session_state["choices"] = Choices("digits", "dcgan", "five-minute", {"loss": "hinge", "attention": 5})
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 2 and any("with the hinge loss" in e for e in errors), errors
    assert any("2, 4; got 5" in e for e in errors), errors

    # Choosing hinge on the five-minute preset (label smoothing 0.1) turns label smoothing off, with a note.
    at.session_state["choices"] = Choices("digits", "dcgan", "five-minute")
    at.run()
    at.selectbox(key="field_loss").select("hinge").run()
    assert not at.error, [e.value for e in at.error]
    model = at.session_state["choices"].model
    assert model == {"loss": "hinge", "label_smoothing": 0.0}
    assert any("**Label smoothing** set to 0: the hinge loss has no target" in m.value for m in at.info)
    assert at.number_input(key="field_label_smoothing").disabled


def test_an_unused_field_an_error_asks_to_change_stays_editable():
    at = app("model")  # as a link could bring it: label smoothing with the hinge loss
    at.session_state["choices"] = Choices("digits", "dcgan", "default", {"loss": "hinge", "label_smoothing": 0.1})
    at.run()
    assert any("with the hinge loss" in e.value for e in at.error)
    assert not at.number_input(key="field_label_smoothing").disabled
    at.number_input(key="field_label_smoothing").set_value(0.0).run()
    assert not at.error and at.number_input(key="field_label_smoothing").disabled
