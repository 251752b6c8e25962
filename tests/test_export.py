"""Exports: every family in every format round-trips in its own runtime; failed checks leave nothing;
exports never land in another run or load a model from outside the workspace; CSV; the bundle's
README code runs; the CLI."""

import csv
import io
import json
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from genlib import export as ex
from genlib.__main__ import main
from genlib.explore import load_run_model
from genlib.models import make_config
from genlib.runs import RunStore, create_run_dir
from genlib.training import TrainConfig, Trainer, build_config

FAMILIES = ("gan", "dcgan", "cgan", "vae", "cvae")


def trained(family: str, run_id: str | None = None, epochs: int = 1, **train):
    preset = "fast" if family in ("dcgan", "cgan") else None
    cfg = TrainConfig(dataset="digits", family=family, epochs=epochs, batch_size=128, **{"eval_every": 0, **train})
    run = RunStore().create(build_config(cfg, make_config(family, preset)), run_id or f"{family}-run")
    Trainer(run).fit()
    return run


def onnx_images(path, feed):
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["images"], {i.name: feed[i.name] for i in session.get_inputs()})[0]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_format_round_trips_within_tolerance(family):
    run = trained(family)
    model = load_run_model(run)
    for fmt, spec in ex.MODEL_FORMATS.items():
        manifest = ex.export_model(run.id, fmt)
        out = run.path / "exports" / f"{fmt}-last"  # no metrics, so no best model: the last is exported
        assert manifest["path"] == str(out) and json.loads((out / "manifest.json").read_text())["format"] == fmt
        check = manifest["check"]
        limit = 1e-3 if fmt in ("litert", "onnx") else 1e-4
        assert check["passed"] and check["max_abs_diff"] < limit and spec.tolerance == limit
        assert manifest["bytes"] > 1000 and manifest["epoch"] == 1 and manifest["family"] == family
        names = [i["name"] for i in manifest["inputs"]]
        if fmt == "keras":  # the network as saved, with its own input names
            assert names == [t.name for t in model.sampling_network.inputs]
        else:
            assert names == (["z", "labels"] if model.conditional else ["z"])
    assert not [p for p in (run.path / "exports").iterdir() if p.name.startswith(".")]  # no temporaries left

    # Independently of the export's own check: the ONNX graph draws what the model's own sampling draws.
    feed = ex.check_inputs(model)
    images = onnx_images(run.path / "exports" / "onnx-last" / "generator.onnx", feed)
    expected = model.generate(16, seed=0)
    assert images.dtype == np.uint8 and images.shape == expected.shape
    assert np.abs(images.astype(int) - expected.astype(int)).max() <= 1


def test_savedmodel_has_a_named_serving_signature_and_the_class_input():
    import tensorflow as tf

    run = trained("cgan")
    ex.export_model(run.id, "savedmodel")
    loaded = tf.saved_model.load(str(run.path / "exports" / "savedmodel-last" / "saved_model"))
    signature = loaded.signatures["serving_default"]
    _, inputs = signature.structured_input_signature
    assert set(inputs) == {"z", "labels"} and inputs["labels"].dtype == tf.int32
    assert signature.structured_outputs["images"].dtype == tf.uint8
    # the class input reaches the generator: each class draws what the Keras model draws for it
    model = load_run_model(run)
    z = np.random.default_rng(1).standard_normal((4, 100)).astype("float32")
    drawn = {}
    for k in (0, 7):
        labels = np.full(4, k, np.int32)
        drawn[k] = signature(z=tf.constant(z), labels=tf.constant(labels))["images"].numpy().astype(int)
        assert np.abs(drawn[k] - model.to_uint8(model.decode(z, labels)).astype(int)).max() <= 1
    assert (drawn[0] != drawn[7]).any()


def test_a_failed_check_deletes_the_export_and_says_why(monkeypatch):
    run = trained("gan")
    good = ex.export_model(run.id, "onnx")  # an earlier good export stays until a new one passes

    def off_by_a_bit(path, feed, model):
        out = ex._run_onnx(path, feed, model)
        return {**out, "pixels": out["pixels"] + 0.01}

    monkeypatch.setitem(ex._READERS, "onnx", off_by_a_bit)
    with pytest.raises(ex.ExportError, match=r"differs from the Keras model by 0\.01 .*deleted"):
        ex.export_model(run.id, "onnx")
    folder = run.path / "exports"
    assert sorted(p.name for p in folder.iterdir()) == ["onnx-last"]  # the old one, no temporary
    assert json.loads((folder / "onnx-last" / "manifest.json").read_text())["created_at"] == good["created_at"]

    monkeypatch.setitem(ex._READERS, "litert", lambda *a: (_ for _ in ()).throw(RuntimeError("bad flatbuffer")))
    with pytest.raises(ex.ExportError, match="could not be run by LiteRT interpreter: RuntimeError: bad flatbuffer"):
        ex.export_model(run.id, "litert")
    assert sorted(p.name for p in folder.iterdir()) == ["onnx-last"]


def test_exports_never_go_into_another_run_or_the_workspace(tmp_path, workspace):
    run = trained("gan", "run-a")
    other = RunStore().create(build_config(TrainConfig(family="gan"), make_config("gan")), "run-b")
    for out in (other.path / "exports" / "x", other.path, workspace / "elsewhere", run.path / "checkpoints"):
        with pytest.raises(ex.ExportError, match="inside the workspace|directly into"):
            ex.export_model(run.id, "keras", out)
    assert not (other.path / "exports").exists() and not (workspace / "elsewhere").exists()

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ex.ExportError, match="already exists"):
        ex.export_model(run.id, "keras", mine)
    with pytest.raises(ex.ExportError, match="not a GenLab export; it is never replaced"):
        ex.export_model(run.id, "keras", mine, overwrite=True)
    assert (mine / "notes.txt").read_text() == "keep me"
    target = tmp_path / "gen"
    ex.export_model(run.id, "keras", target)
    again = ex.export_model(run.id, "onnx", target, overwrite=True)  # an export folder may be replaced
    assert sorted(p.name for p in target.iterdir()) == ["generator.onnx", "manifest.json"] and again["format"] == "onnx"


def test_files_and_folders_are_not_confused_and_other_files_are_not_replaced(tmp_path):
    run = trained("gan")
    assert run.best() is None  # no metrics: "best" serves the last model, and says so
    with pytest.raises(ex.ExportError, match=r"--out is a folder for a model export .*got x\.onnx. Give a folder"):
        ex.export_model(run.id, "onnx", tmp_path / "x.onnx")
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    with pytest.raises(ex.ExportError, match="a CSV goes to a .csv file, got notes.txt"):
        ex.export_csv(run.id, notes, overwrite=True)
    with pytest.raises(ex.ExportError, match="is a file; it is not replaced by a savedmodel export"):
        ex.export_model(run.id, "savedmodel", notes, overwrite=True)
    assert notes.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["home", "notes.txt"]
    manifest = ex.export_model(run.id, "keras")
    assert manifest["which"] == "last" and manifest["path"].endswith("keras-last")
    assert manifest["source"] == "checkpoints/last.keras"
    assert [i["name"] for i in manifest["inputs"]] == ["z"]
    assert oct((run.path / "exports" / "keras-last" / "manifest.json").stat().st_mode & 0o777) == "0o644"


def test_a_run_folder_from_outside_the_workspace_is_not_loaded(tmp_path):
    cfg = TrainConfig(dataset="digits", family="gan", epochs=1, batch_size=128, eval_every=0)
    outside = create_run_dir(tmp_path / "copied-run", build_config(cfg, make_config("gan")))
    Trainer(outside).fit()
    with pytest.raises(ex.ExportError, match="is not a run of this workspace"):
        ex.export_model(str(outside.path), "keras", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["export", str(outside.path), "--format", "onnx", "--out", str(tmp_path / "o")]) == 2


def test_metrics_csv_has_every_record_and_column():
    run = trained("dcgan", epochs=2, eval_every=1, eval_samples=200, log_every=2)
    result = ex.export_csv(run.id)
    rows = list(csv.DictReader(io.StringIO((run.path / "exports" / "metrics.csv").read_text())))
    records = run.metrics()
    assert result["rows"] == len(rows) == len(records)
    assert {r["kind"] for r in rows} == {"step", "epoch", "eval"}
    first_eval = next(r for r in rows if r["kind"] == "eval")
    assert float(first_eval["fid"]) == pytest.approx(run.metrics("eval")[0]["fid"])
    assert list(rows[0])[:5] == ["kind", "epoch", "step", "time", "time_utc"] and "g_loss" in rows[0]
    assert [r["kind"] for r in rows if r["epoch"] == "1"][-2:] == ["epoch", "eval"]  # the epoch's steps come first

    empty = RunStore().create(build_config(TrainConfig(family="gan"), make_config("gan")), "queued-run")
    with pytest.raises(ex.ExportError, match="run queued-run has no metrics yet"):
        ex.export_csv(empty.id)


def _snippets(readme: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme, flags=re.S)


def test_the_bundle_holds_everything_and_its_readme_code_runs(tmp_path):
    run = trained("cgan", epochs=2, eval_every=1, eval_samples=200)
    out = tmp_path / "bundle.zip"
    result = ex.export_bundle(run.id, out, formats=("savedmodel", "onnx", "litert"))
    assert set(result["formats"]) == {"savedmodel", "onnx", "litert"} and result["bytes"] == out.stat().st_size
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "unpacked")
    for name in ("README.md", "config.json", "metrics.csv", "grid-best.png", "grid-final.png", "training.gif"):
        assert name in names
    assert {"savedmodel/manifest.json", "onnx/generator.onnx", "litert/generator.tflite"} <= names
    readme = (tmp_path / "unpacked" / "README.md").read_text()
    snippets = _snippets(readme)
    assert len(snippets) == 3
    grids = []
    for code in snippets:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path / "unpacked", capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        grid = np.asarray(Image.open(tmp_path / "unpacked" / "samples.png"))
        assert grid.shape == (32, 32) and grid.std() > 5  # 4x4 digits of 8x8, not blank
        grids.append(grid)
    # three runtimes, the same drawing
    assert max(np.abs(g.astype(int) - grids[0].astype(int)).max() for g in grids) <= 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_exports_and_refuses_in_one_line(tmp_path, capsys):
    run = trained("vae")
    assert main(["export", run.id, "--format", "litert", "--out", str(tmp_path / "lite")]) == 0
    out = capsys.readouterr().out
    assert "LiteRT (TFLite):" in out and "LiteRT interpreter matches the Keras model within" in out
    assert (tmp_path / "lite" / "generator.tflite").is_file()
    assert main(["export", run.id, "--format", "csv", "--out", str(tmp_path / "m.csv")]) == 0
    assert (tmp_path / "m.csv").read_text().startswith("kind,epoch,step,time,time_utc")
    assert "m.csv" in capsys.readouterr().out
    assert main(["export", run.id, "--format", "onnx", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["check"]["runtime"] == "ONNX Runtime"

    assert main(["export", run.id, "--format", "keras", "--out", str(tmp_path / "lite")]) == 2
    assert "already exists" in capsys.readouterr().err
    empty = RunStore().create(build_config(TrainConfig(family="gan"), make_config("gan")), "not-trained")
    assert main(["export", empty.id, "--format", "onnx"]) == 2
    message = "error: run not-trained has no saved model yet (it has not finished an epoch)"
    assert capsys.readouterr().err.strip() == message
    assert main(["export", run.id, "--format", "bundle", "--bundle-formats", "onnx,tiff"]) == 2
    assert "bundle formats must be among" in capsys.readouterr().err


def test_a_progressive_run_in_its_half_size_stage_and_attention_export_at_full_size():
    cfg = TrainConfig(dataset="digits", family="dcgan", epochs=4, batch_size=128, eval_every=0)
    model_cfg = make_config("dcgan", "progressive", attention=4, latent_dim=16, image_shape=(8, 8, 1))
    run = RunStore().create(build_config(cfg, model_cfg), "prog")
    Trainer(run).fit()  # half size for epochs 1-2, full size with attention for 3-4
    for fmt in ("savedmodel", "keras", "onnx"):
        manifest = ex.export_model(run.id, fmt, which="last")
        assert manifest["check"]["passed"] and manifest["outputs"][0]["shape"][1:3] == [8, 8]

    # a run stopped after epoch 1 of 4 is still in its half-size stage
    half = RunStore().create(build_config(cfg, model_cfg), "half")
    half_trainer = Trainer(half)
    original = half_trainer._end_epoch

    def stop_after_first(model, epoch, record):
        original(model, epoch, record)
        half_trainer.request_stop()

    half_trainer._end_epoch = stop_after_first
    half_trainer.fit()
    model = load_run_model(half)
    assert model.half_size  # still in its first stage: the export draws the enlarged half-size images
    manifest = ex.export_model(half.id, "litert")
    assert manifest["check"]["passed"] and manifest["outputs"][0]["shape"][1:3] == [8, 8]
