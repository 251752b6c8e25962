"""Seconds from launching a training process to its first sample grid, in a fresh workspace (issue 15).

    .venv/bin/python docs/bench_first_grid.py [--tries 3] [--before CHECKOUT] [--write docs/BENCHMARKS.md]

Each try makes an empty workspace (no evaluator cached, nothing compiled), launches
``python -m genlib train --dataset digits`` with default settings, and polls every 20 ms for
``samples/epoch_0001.png``; the process is then stopped. Reports the median and the spread, the
trainer's own figures from its log (data loading, compile), and, in turn with the tries, a process
that does nothing but import TensorFlow and Keras the trainer's way: the floor of this figure.
``--before`` names another checkout of genlib (e.g. a ``git worktree`` of an older commit) whose
tries are interleaved with this one's, so both figures come from the same minutes of the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARK = "first-grid-benchmark"


def one_try(root: Path = ROOT) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as home:
        run_dir = Path(home) / "runs" / "first"
        grid = run_dir / "samples" / "epoch_0001.png"
        env = {**os.environ, "GENLAB_HOME": home, "GENLAB_CACHE": str(Path(home) / "cache")}
        cmd = [sys.executable, "-m", "genlib", "train", "--dataset", "digits", "--run-dir", str(run_dir)]
        started = time.time()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while not grid.is_file():
            if proc.poll() is not None:
                raise SystemExit(proc.stdout.read())
            time.sleep(0.02)
        seconds = time.time() - started
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
        return seconds, out


def import_alone(root: Path = ROOT) -> float:
    """Seconds for a fresh process to import TensorFlow and Keras the way the trainer does."""
    code = "from genlib.training.backends import import_quietly; import_quietly()"
    started = time.time()
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout, timed in turn with this one")
    parser.add_argument("--write")
    args = parser.parse_args()
    times, logs, before, imports = [], [], [], []
    for _ in range(args.tries):
        imports.append(import_alone())
        if args.before:
            before.append(one_try(args.before.resolve())[0])
            print(f"before: first grid after {before[-1]:.2f} s", flush=True)
        seconds, out = one_try()
        times.append(seconds)
        logs.append(out)
        print(f"first grid after {seconds:.2f} s", flush=True)
    compiled = [float(m) for log in logs for m in re.findall(r"training step compiled and run in ([\d.]+) s", log)]
    text = (
        f"Launch of `python -m genlib train --dataset digits` (defaults) in an empty workspace to "
        f"`samples/epoch_0001.png` on disk: median **{statistics.median(times):.2f} s** "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.tries} tries). Of that, tracing the step "
        f"and running it once: {statistics.median(compiled):.2f} s. A process that only starts Python and imports "
        f"TensorFlow and Keras as the trainer does, in turn with these tries: median "
        f"**{statistics.median(imports):.2f} s**. "
        "Command: `.venv/bin/python docs/bench_first_grid.py --write docs/BENCHMARKS.md`."
    )
    if before:
        text += (
            f"\n\nThe checkout given as `--before`, in turn with these tries: median "
            f"**{statistics.median(before):.2f} s** (min {min(before):.2f}, max {max(before):.2f})."
        )
    from docs.markers import publish

    publish(text, args.write, MARK, "Time to the first grid (issue 15)")


if __name__ == "__main__":
    main()
