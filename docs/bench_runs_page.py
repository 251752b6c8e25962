"""What the Runs page reads per refresh, at 10 and at 300 runs of 500 epochs (issue 15).

    .venv/bin/python docs/bench_runs_page.py

Builds 300 run folders shaped like a finished 500-epoch digits MLP GAN (config.json, status.json
with the last losses, a metrics.jsonl of 500 epoch and 3,500 step records) and times the page's
work: the run list and one summary per run, as views/runs.py makes its table. "Cold" is the
server's first look (every config.json and status.json parsed); "refresh" is the median of 5 later
rounds, 10 and 300 runs interleaved, in the same process as the page's reruns are.

    .venv/bin/python docs/bench_runs_page.py --write docs/BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_runs(root: Path, n: int) -> None:
    from genlib.models import make_config
    from genlib.runs import RunStore
    from genlib.training import TrainConfig, build_config

    os.environ["GENLAB_HOME"] = str(root)
    config = build_config(TrainConfig(family="gan", epochs=500), make_config("gan"))
    lines = []
    for epoch in range(1, 501):
        for k in range(7):
            step = (epoch - 1) * 14 + 2 * (k + 1)
            rec = {"kind": "step", "epoch": epoch, "step": step, "time": 1.0, "d_loss": 0.6, "g_loss": 0.9}
            lines.append(json.dumps(rec))
        lines.append(json.dumps({"kind": "epoch", "epoch": epoch, "time": 1.0, "d_loss": 0.6, "g_loss": 0.9}))
    metrics = "\n".join(lines) + "\n"
    store = RunStore()
    for i in range(n):
        run = store.create(config, f"run-{i:03d}")
        run.update_status(
            state="completed", epoch=500, started_at=1.0, finished_at=300.0, losses={"d_loss": 0.6, "g_loss": 0.9}
        )
        run.metrics_path.write_text(metrics)


def page_rows(root: Path) -> float:
    from genlib.runs import RunStore

    started = time.perf_counter()
    rows = [r.summary() for r in RunStore(root / "runs").list()]
    assert rows
    return time.perf_counter() - started


MARK = "runs-page-benchmark"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        make_runs(Path(a), 10)
        make_runs(Path(b), 300)
        cold = page_rows(Path(b))
        small, large = [], []
        for _ in range(5):
            small.append(page_rows(Path(a)))
            large.append(page_rows(Path(b)))
        s, big = statistics.median(small), statistics.median(large)
        text = (
            "| runs (500 epochs each) | first look | each refresh |\n|---|---|---|\n"
            f"| 10 | | {s * 1000:.1f} ms |\n| 300 | {cold * 1000:.0f} ms | {big * 1000:.1f} ms |\n\n"
            f"Refresh ratio 300/10: {big / s:.1f}x for 30x the runs. Command: "
            "`.venv/bin/python docs/bench_runs_page.py --write docs/BENCHMARKS.md`."
        )
        from docs.markers import publish

        publish(text, args.write, MARK, "The Runs page at 300 long runs (issue 15)")


if __name__ == "__main__":
    main()
