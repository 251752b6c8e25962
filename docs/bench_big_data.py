"""Large datasets: what a training process and the evaluator cost at 60,000 and 200,000 images (issue 15).

    .venv/bin/python docs/bench_big_data.py --mnist ../shared/data/mnist/t10k-images-idx3-ubyte.gz \\
        [--write docs/BENCHMARKS.md]

Builds datasets of 60,000 and 200,000 28x28 digits from the 10,000 MNIST test images (each copy
shifted by a pixel or two, so no two copies are equal), imports them into a fresh workspace, and
in fresh processes measures:

- a training run (default MLP GAN, metrics off, a 20 s time budget): the peak RSS of the whole
  process, the seconds to read the data (``load_dataset`` in a fresh process) and put it on the
  device (the trainer's own log line),
  and the seconds from launch to the first logged step (Python and TensorFlow start included);
- preparing the evaluator (``genlib.metrics.get_evaluator``, from an empty cache): seconds and
  peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARK = "big-data-benchmark"


def build(mnist: Path, n: int, out: Path) -> Path:
    from genlib.data.importers import read_idx_pair

    images, labels = read_idx_pair(mnist)[:2]
    rng = np.random.default_rng(n)
    copies, copy_labels = [], []
    for i in range(-(-n // len(images))):
        dy, dx = (0, 0) if i == 0 else rng.integers(-2, 3, 2)
        copies.append(np.roll(images, (int(dy), int(dx)), axis=(1, 2)))
        copy_labels.append(labels)
    path = out / f"digits{n // 1000}k.npz"
    np.savez(path, images=np.concatenate(copies)[:n], labels=np.concatenate(copy_labels)[:n])
    return path


def measured(args: list[str], env: dict) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (bytes) and output of a child process."""
    started = time.time()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{args} failed:\n{out[-3000:]}")
    return time.time() - started, usage.ru_maxrss * 1024, out


def train(name: str, env: dict) -> dict:
    run_dir = Path(env["GENLAB_HOME"]) / "runs" / f"bench-{name}"
    launched = time.time()
    cmd = [sys.executable, "-m", "genlib", "train", "--dataset", name, "--epochs", "100", "--run-dir", str(run_dir)]
    cmd += ["--set", "eval_every=0", "--set", "time_budget_s=20"]
    _, rss, out = measured(cmd, env)
    device_s = float(re.search(r"data loaded and on the device in ([\d.]+) s", out).group(1))
    first = json.loads((run_dir / "metrics.jsonl").read_text().splitlines()[0])
    # The command line reads the set before the trainer starts its clock: read it alone, in a fresh process.
    code = (
        "import time; from genlib.data import load_dataset; "
        f"t = time.time(); load_dataset({name!r}); print(time.time() - t)"
    )
    read_s = float(measured([sys.executable, "-c", code], env)[2].split()[-1])
    return {"rss": rss, "data_s": read_s + device_s, "first_step_s": first["time"] - launched}


def evaluator(name: str, env: dict) -> dict:
    code = f"from genlib.metrics import get_evaluator; ev = get_evaluator({name!r}); print('ACC', ev.accuracy)"
    seconds, rss, out = measured([sys.executable, "-c", code], env)
    return {"seconds": seconds, "rss": rss, "accuracy": float(out.split("ACC")[-1])}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist", required=True, help="t10k-images-idx3-ubyte.gz (its labels file beside it)")
    parser.add_argument("--sizes", default="60000,200000")
    parser.add_argument("--write")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GENLAB_HOME": home, "PYTHONPATH": str(ROOT)}
        os.environ["GENLAB_HOME"] = home
        from genlib.data import import_dataset

        for n in (int(s) for s in args.sizes.split(",")):
            name = f"digits{n // 1000}k"
            import_dataset(build(Path(args.mnist), n, Path(home)), name)
            t = train(name, env)
            e = evaluator(name, env)
            rows.append(
                f"| {n:,} | {n * 784 / 1e6:.0f} MB | {t['rss'] / 2**30:.2f} GiB | {t['data_s']:.2f} s "
                f"| {t['first_step_s']:.1f} s | {e['seconds']:.0f} s | {e['rss'] / 2**30:.2f} GiB "
                f"| {e['accuracy']:.1%} |"
            )
            print(rows[-1], flush=True)
    text = (
        "| images | as uint8 | training: peak RSS | data read + on device | launch to first step "
        "| evaluator: prepared in | its peak RSS | held-out accuracy |\n|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\nCommand: `.venv/bin/python docs/bench_big_data.py --mnist ../shared/data/mnist/"
        "t10k-images-idx3-ubyte.gz --write docs/BENCHMARKS.md` (copies of the MNIST test set, each shifted)."
    )
    from docs.markers import publish

    publish(text, args.write, MARK, "Large datasets: memory and preparation (issue 15)")


if __name__ == "__main__":
    main()
