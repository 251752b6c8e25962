"""The command line: listing, import, train, sample, runs; user errors are one line, exit 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genlib.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_datasets_and_models_list(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("digits") and "shapes" in out
    assert main(["models", "dcgan"]) == 0
    out = capsys.readouterr().out
    assert "presets: default, fast" in out and "filters" in out and "latent_dim" in out


def test_import_then_train_sample_and_list(tmp_path, capsys):
    images = np.random.default_rng(0).integers(0, 256, (96, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", images=images, labels=np.arange(96) % 3)
    assert main(["import", str(tmp_path / "d.npz"), "--name", "tiny"]) == 0
    assert "imported tiny: 96 images 8x8x1, 3 classes" in capsys.readouterr().out

    run_dir = tmp_path / "run"
    argv = [
        "train",
        "--dataset",
        "tiny",
        "--family",
        "cgan",
        "--preset",
        "fast",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--set",
        "latent_dim=16",
        "--set",
        "log_every=1",
        "--run-dir",
        str(run_dir),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "epoch 1/1  step 3/3" in out and "img/s" in out and "ETA" in out and "completed" in out
    log = (run_dir / "log.txt").read_text()  # kept beside the run too, for the app's Train page
    assert "epoch 1/1  step 3/3" in log and "completed" in log
    assert '"latent_dim": 16' in (run_dir / "config.json").read_text()

    grid = tmp_path / "grid.png"
    assert main(["sample", str(run_dir), "--n", "16", "--out", str(grid)]) == 0
    assert Image.open(grid).size == (8 * 34 + 2, 2 * 34 + 2)  # 8x8 digits drawn 32 px, 2 px gaps
    assert main(["runs"]) == 0  # --run-dir outside the workspace is not listed, but the command works


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dataset", "nope"], "unknown dataset 'nope'"),
        (["train", "--family", "nope"], "unknown model family 'nope'"),
        (["train", "--set", "latent_dim=0"], "latent_dim must be between 2 and 512, got 0"),
        (["train", "--set", "latent_dim"], "--set expects FIELD=VALUE"),
        (["train", "--set", "colour=red"], "unknown field 'colour'"),
        (["train", "--preset", "huge"], "unknown preset 'huge' for gan"),
        (["train", "--epochs", "0"], "epochs must be between 1 and 10000"),
        (["train", "--resume"], "nothing to resume"),
        (["sample", "no-such-run"], "no run named 'no-such-run'"),
        (["import", "/no/file.npz", "--name", "x"], "no such file"),
    ],
)
def test_user_errors_are_one_line(argv, message, capsys, workspace):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not (workspace / "runs").exists() or not any((workspace / "runs").iterdir())


def test_real_process_prints_no_traceback(workspace):
    env = {**os.environ, "GENLAB_HOME": str(workspace)}
    proc = subprocess.run(
        [sys.executable, "-m", "genlib", "train", "--dataset", "nope"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "error: unknown dataset 'nope'" in proc.stderr


def test_eval_prints_the_metrics_table_and_stores_it(tmp_path, capsys):
    run_dir = tmp_path / "run"
    argv = ["train", "--family", "vae", "--epochs", "2", "--set", "eval_every=0", "--run-dir", str(run_dir)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["eval", str(run_dir), "--n", "500"]) == 0
    out = capsys.readouterr().out
    assert "digits evaluator: held-out accuracy" in out and "500 samples per run" in out
    for label in ("FID (evaluator) ↓", "Inception Score ↑", "Precision ↑", "Recall ↑", "Class coverage ↑"):
        assert label in out
    assert "real data (held-out half)" in out
    stored = json.loads((run_dir / "eval.json").read_text())
    assert stored["n"] == 500 and stored["epoch"] == 2 and stored["scores"]["fid"] > 0
    assert main(["eval", str(run_dir), "--n", "500", "--json"]) == 0  # reused, same numbers
    assert json.loads(capsys.readouterr().out)[0]["scores"] == stored["scores"]
    assert main(["eval", str(run_dir), "--n", "5"]) == 2
    assert "--n must be between" in capsys.readouterr().err


def test_an_unsupported_keras_backend_is_one_line_and_exit_2(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "GENLAB_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "genlib", "train", "--epochs", "1"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error: Keras could not load its 'jax' backend")
    assert "KERAS_BACKEND=tensorflow" in done.stderr
