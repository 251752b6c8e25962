"""Export time and file size per format for a DCGAN on 28x28 (MNIST test set), written to docs/BENCHMARKS.md.

    .venv/bin/python docs/bench_export.py --mnist ../shared/data/mnist/t10k-images-idx3-ubyte.gz \
        --write docs/BENCHMARKS.md

Trains the default DCGAN for one epoch in a temporary workspace (weights do not change what an
export costs), then exports its generator in each format ``--repeats`` times, interleaved
(savedmodel, litert, onnx, keras, then again), each in a fresh process as the CLI runs it, and
reports the median of the in-process times the manifest records (write, and write + check).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FORMATS = ("savedmodel", "litert", "onnx", "keras")
MARK = "export-benchmark"


def genlib(home: Path, *args: str) -> str:
    env = {**os.environ, "GENLAB_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "genlib", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"genlib {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist", required=True, help="MNIST images (IDX .gz)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write", help="markdown file to put the table in, between the markers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        genlib(home, "import", str(Path(args.mnist).resolve()), "--name", "mnist-test")
        genlib(
            home,
            "train",
            "--dataset",
            "mnist-test",
            "--family",
            "dcgan",
            "--epochs",
            "1",
            "--set",
            "eval_every=0",
            "--run-dir",
            str(home / "runs" / "dcgan28"),
        )
        results: dict[str, list[dict]] = {f: [] for f in FORMATS}
        for i in range(args.repeats):
            for fmt in FORMATS:
                started = time.time()
                manifest = json.loads(genlib(home, "export", "dcgan28", "--format", fmt, "--json"))
                manifest["process_s"] = time.time() - started
                results[fmt].append(manifest)
                print(f"round {i + 1} {fmt}: {manifest['seconds']} {manifest['bytes']:,} B", flush=True)
    rows = []
    for fmt in FORMATS:
        ms = results[fmt]
        write, total = (statistics.median(m["seconds"][key] for m in ms) for key in ("write", "total"))
        whole = statistics.median(m["process_s"] for m in ms)
        diff = max(m["check"]["max_abs_diff"] for m in ms)
        size = ms[0]["bytes"] / 1e6
        rows.append(
            f"| {ms[0]['title']} | {size:.2f} MB | {write:.2f} s | {total:.2f} s | {whole:.1f} s | {diff:.2g} |"
        )
    import tensorflow as tf

    text = "\n".join(
        [
            f"Generator of the default `dcgan` preset on 28x28x1 (MNIST test set, 1 epoch), median of "
            f"{args.repeats} interleaved rounds. *Write*: converting and writing, in the export's process; "
            "*write + check*: plus loading it back in its runtime and comparing 16 samples; *whole command*: "
            "`python -m genlib export` from start to exit (Python, TensorFlow import, model load).",
            "",
            "| format | size | write | write + check | whole command | max abs difference |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Machine: {os.cpu_count()} cores, no GPU used, TensorFlow {tf.__version__}. Measured "
            f"{time.strftime('%Y-%m-%d')} with `.venv/bin/python docs/bench_export.py --mnist "
            "../shared/data/mnist/t10k-images-idx3-ubyte.gz --write docs/BENCHMARKS.md`.",
        ]
    )
    from docs.markers import publish

    publish(text, args.write, MARK, "Export time and size per format (issue 14)")


if __name__ == "__main__":
    main()
