"""Whole-job throughput against the step alone, for the 500-epoch `digits` MLP GAN (issue 15).

    .venv/bin/python docs/bench_job.py [--epochs 500] [--write docs/BENCHMARKS.md]

In one sitting, in this order:
1. the compiled step alone on the same model and data (``--seconds`` of steps after warm-up);
2. the whole job as before issue 15's pacing: a checkpoint and a grid every epoch, an evaluation
   every 5 epochs whatever it costs (``checkpoint_every_s=0``, ``eval_share=1``, ``grid_every_s=0``);
3. the whole job with the defaults (checkpoints and grids by time, evaluations at most 10% of the
   wall time).
Whole-job images/s counts every training image over the process's whole wall time: start-up,
compilation, epoch ends (grids, checkpoints, metrics) and in-training evaluations included.
Each job runs in a fresh workspace whose evaluator cache is shared and warmed first, so neither
job pays for training the evaluator.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARK = "job-benchmark"


def step_alone(seconds: float) -> float:
    from genlib.data import load_dataset
    from genlib.models import create_model, make_config
    from genlib.training import bench

    ds = load_dataset("digits")
    model = create_model("gan", make_config("gan", image_shape=ds.image_shape))
    return bench.step_alone(model, ds, 128, seconds, xla=True, warmup=20)


def whole_job(epochs: int, cache: Path, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GENLAB_HOME": tmp, "GENLAB_CACHE": str(cache)}
        run_dir = Path(tmp) / "runs" / "job"
        cmd = [sys.executable, "-m", "genlib", "train", "--dataset", "digits", "--family", "gan"]
        cmd += ["--epochs", str(epochs), "--run-dir", str(run_dir), *extra]
        started = time.time()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.time() - started
        status = json.loads((run_dir / "status.json").read_text())
        images = epochs * status["steps_per_epoch"] * status["batch_size"]
        evals = sum(1 for line in (run_dir / "metrics.jsonl").read_text().splitlines() if '"kind":"eval"' in line)
        return {"wall_s": wall, "images_per_s": images / wall, "evaluations": evals}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--write")
    args = parser.parse_args()
    from genlib.training.backends import import_quietly

    import_quietly()
    with tempfile.TemporaryDirectory() as cache:
        whole_job(1, Path(cache), [])  # trains and caches the digits evaluator once
        alone = step_alone(args.seconds)
        print(f"step alone: {alone:,.0f} img/s", flush=True)
        old = ["--set", "checkpoint_every_s=0", "--set", "eval_share=1", "--set", "grid_every_s=0"]
        before = whole_job(args.epochs, Path(cache), old)
        print(f"every-epoch checkpoints, unpaced evaluations: {before}", flush=True)
        after = whole_job(args.epochs, Path(cache), [])
        print(f"defaults: {after}", flush=True)
    rows = [
        ("the compiled step alone", alone, None, "", ""),
        (
            "whole job, a checkpoint and a grid every epoch, evaluations every 5 epochs",
            before["images_per_s"],
            before["wall_s"],
            before["evaluations"],
            "`checkpoint_every_s=0`, `eval_share=1`, `grid_every_s=0`",
        ),
        (
            "whole job, defaults",
            after["images_per_s"],
            after["wall_s"],
            after["evaluations"],
            "checkpoints by time (30 s), grids by time (2 s), evaluations ≤ 10% of wall time",
        ),
    ]
    lines = [
        f"`digits` (1,797 images 8x8), MLP GAN with default settings, batch 128, {args.epochs} epochs, XLA on; "
        "one sitting, in the order of the table.",
        "",
        "| what | images/s | share of the step alone | wall time | evaluations | settings |",
        "|---|---|---|---|---|---|",
    ]
    for name, rate, wall, evals, settings in rows:
        wall_text = f"{wall:.0f} s" if wall else ""
        lines.append(f"| {name} | {rate:,.0f} | {rate / alone:.0%} | {wall_text} | {evals} | {settings} |")
    lines += [
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `.venv/bin/python docs/bench_job.py --epochs {args.epochs}`.",
    ]
    text = "\n".join(lines)
    from docs.markers import publish

    publish(text, args.write, MARK, "The whole job against the step alone (issue 15)")


if __name__ == "__main__":
    main()
