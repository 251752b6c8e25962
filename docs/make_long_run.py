"""A run that looks 9,000 or 10,000 epochs old, for load and Gallery benchmarks, in minutes instead of an hour.

    python docs/make_long_run.py RUN_DIR --epochs 10000 [--at 9000] [--every-grid]

Trains a real digits GAN for 3 epochs, then extends its files to ``--at`` epochs
the way a long run would have written them: metrics.jsonl gets the step, epoch
and evaluation records (same keys and sizes; the values drift slowly with
noise), samples/ the grids a long run keeps (``--every-grid``: one per epoch, as
runs before grid thinning did), and the checkpoint's epoch counter is set to
``--at``, so ``--resume`` (or Resume in the app) carries on from there as a live
run. The status says ``stopped`` at epoch ``--at`` (``completed`` if it equals
``--epochs``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--epochs", type=int, default=10_000)
    parser.add_argument("--at", type=int, default=None)
    parser.add_argument("--every-grid", action="store_true")
    parser.add_argument("--batch-size", type=int, default=128, help="smaller: slower epochs, more records each")
    args = parser.parse_args()
    at = args.at or args.epochs
    subprocess.run(
        [sys.executable, "-m", "genlib", "train", "--epochs", "3", "--set", "eval_every=3",
         "--batch-size", str(args.batch_size), "--run-dir", str(args.run_dir)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    from genlib.runs import Run
    from genlib.training.trainer import keep_sample

    run = Run(args.run_dir)
    config = run.read_config()
    config["train"]["epochs"] = args.epochs
    run.config_path.write_text(json.dumps(config, indent=2))
    records = run.metrics()
    step_template = [r for r in records if r["kind"] == "step"][-1]
    epoch_template = [r for r in records if r["kind"] == "epoch"][-1]
    eval_template = [r for r in records if r["kind"] == "eval"][-1]
    status = run.raw_status()
    steps, log_every = status["steps_per_epoch"], config["train"]["log_every"]
    rng = np.random.default_rng(0)
    grid = run.sample_path(3)
    t = time.time() - at * 0.3
    with open(run.metrics_path, "a") as out:
        for epoch in range(4, at + 1):
            drift = 1 + 0.1 * np.sin(epoch / 500)
            for s in range(1, steps + 1):
                if s % log_every == 0 or s == steps:
                    record = dict(step_template, epoch=epoch, step=(epoch - 1) * steps + s, time=t)
                    for key in ("d_loss", "g_loss", "d_real", "d_fake"):
                        record[key] = float(step_template[key] * drift * (1 + 0.05 * rng.standard_normal()))
                    out.write(json.dumps(record, separators=(",", ":")) + "\n")
            t += 0.3
            record = dict(epoch_template, epoch=epoch, time=t)
            for key in ("d_loss", "g_loss", "d_real", "d_fake"):
                record[key] = float(epoch_template[key] * drift)
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            if epoch % config["train"]["eval_every"] == 0:
                out.write(json.dumps(dict(eval_template, epoch=epoch, time=t), separators=(",", ":")) + "\n")
            if args.every_grid or keep_sample(epoch) or epoch == args.epochs:
                shutil.copyfile(grid, run.sample_path(epoch))
    shutil.copyfile(grid, run.latest_sample_path)
    _set_checkpoint_epoch(run, at)
    run.update_status(state="completed" if at == args.epochs else "stopped", epoch=at, epochs=args.epochs)
    size = run.metrics_path.stat().st_size
    print(f"{run.path}: epoch {at}/{args.epochs}, metrics.jsonl {size / 2**20:.1f} MiB, "
          f"{len(run.sample_paths())} grids")  # fmt: skip


def _set_checkpoint_epoch(run, epoch: int) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from genlib.io import atomic_path
    from genlib.models import load_model

    model = load_model(run.checkpoint_path)
    model.trained_epochs.assign(epoch)
    with atomic_path(run.checkpoint_path) as tmp:
        model.save(tmp)


if __name__ == "__main__":
    main()
