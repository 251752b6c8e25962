"""Seconds from Start to the first loss curve, for the digits demo, as the app starts runs.

    python docs/bench_first_curve.py [--starts 5]

Runs in a fresh workspace: starts the worker the way the app does (JobManager), waits
until its warm process is ready, then queues the default digits GAN run ``--starts``
times in a row, timing Start -> first step record in metrics.jsonl (what the Train
page draws as the first curve point; the page looks every 2 s, so add up to 2 s).
The first start of a fresh workspace also trains nothing extra: the quality
classifier is prepared at the first evaluation, after the curves have begun.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    os.environ["GENLAB_HOME"] = tempfile.mkdtemp(prefix="genlab-first-curve-")
    os.environ["GENLAB_CACHE"] = tempfile.mkdtemp(prefix="genlab-first-curve-cache-")
    os.environ["GENLAB_WORKER_IDLE_S"] = "30"
    from genlib.choices import Choices
    from genlib.runs import JobManager

    jobs = JobManager()
    jobs.ensure_worker()
    standby = Path(os.environ["GENLAB_HOME"]) / "logs" / "standby.log"
    time.sleep(12)  # the app starts the worker on its first page view; give the warm process its import
    config = Choices().build()
    times = []
    for i in range(args.starts):
        t0 = time.time()
        run = jobs.start(config)
        while True:
            if run.metrics_path.is_file() and any(
                json.loads(line).get("kind") == "step" for line in run.metrics_path.read_text().splitlines() if line
            ):
                break
            if time.time() - t0 > 120:
                raise SystemExit(f"no curve after 120 s; log:\n{run.log_tail()}")
            time.sleep(0.05)
        times.append(time.time() - t0)
        print(f"start {i + 1}: first loss point after {times[-1]:.1f} s ({run.id})", flush=True)
        while run.status()["state"] in ("queued", "running"):
            time.sleep(0.2)
        time.sleep(8)  # the worker brings up the next warm process between starts, as between users
    print(json.dumps({"median_s": statistics.median(times), "times_s": [round(t, 2) for t in times]}))
    del standby


if __name__ == "__main__":
    main()
