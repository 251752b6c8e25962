"""A room pressing Start: N attendees queue the digits demo within a minute, the server is killed mid-queue.

    python docs/bench_queue.py [--attendees 30] [--within 60] [--port 8650]

In a fresh workspace it starts the app (streamlit run app.py), then N trainer
users queue one run each through ``JobManager.start`` (the call the Start button
makes for them), spread over ``--within`` seconds. Meanwhile it samples, every
0.5 s: how many runs hold a training process (their lock), the queue positions
(1..k, no gaps, no repeats), and the total memory (RSS) of every process working
for this workspace (app server, worker, warm process, trainers). A third of the
way in it kills the app server (SIGKILL) and starts it again. It ends when every
run has completed, and prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def workspace_rss_mb(home: str) -> float:
    """Total RSS of the processes whose environment names this workspace."""
    total = 0
    marker = f"GENLAB_HOME={home}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if marker not in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "VmRSS:" in status:
            total += int(status.split("VmRSS:")[1].split()[0])
    return total / 1024


def start_server(port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return proc
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the app did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attendees", type=int, default=30)
    parser.add_argument("--within", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8650)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="genlab-queue-")
    os.environ["GENLAB_HOME"] = home
    os.environ.setdefault("GENLAB_CACHE", tempfile.mkdtemp(prefix="genlab-queue-cache-"))
    env = {**os.environ}

    from genlib.access import Role, User
    from genlib.choices import Choices
    from genlib.runs import JobManager, RunStore

    server = start_server(args.port, env)
    jobs = JobManager(RunStore())
    jobs.ensure_worker()  # the app does this on its first page view
    config = Choices().build()
    samples = {"running_max": 0, "rss_peak_mb": 0.0, "bad_positions": 0, "samples": 0}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            runs = jobs.store.list()
            running = sum(r.trainer_alive() for r in runs)
            queue = jobs.queue()
            positions = [jobs.position(r.id, queue) for r in queue]
            if positions != list(range(1, len(queue) + 1)):
                samples["bad_positions"] += 1
            samples["running_max"] = max(samples["running_max"], running)
            samples["rss_peak_mb"] = max(samples["rss_peak_mb"], workspace_rss_mb(home))
            samples["samples"] += 1
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    t0 = time.time()
    ids, killed = [], False
    for i in range(args.attendees):
        run = jobs.start(config, User(f"attendee {i + 1}", Role.TRAINER), title=f"demo {i + 1}")
        ids.append(run.id)
        if not killed and i >= args.attendees // 3:
            server.send_signal(signal.SIGKILL)  # the app dies mid-queue ...
            server.wait()
            server = start_server(args.port, env)  # ... and comes back
            killed = True
        time.sleep(args.within / args.attendees)
    queued_after_kill = len(jobs.queue())
    while True:
        states = [jobs.store.get(i).status()["state"] for i in ids]
        if all(s not in ("queued", "running") for s in states):
            break
        if time.time() - t0 > 3600:
            break
        time.sleep(1)
    done.set()
    watcher.join()
    server.terminate()
    server.wait()
    waits = []
    for run_id in ids:
        status = jobs.store.get(run_id).status()
        waits.append(status.get("started_at", 0) - status.get("queued_at", 0))
    result = {
        "attendees": args.attendees,
        "limit": jobs.limits.concurrent_jobs,
        "running_max": samples["running_max"],
        "queue_position_errors": samples["bad_positions"],
        "rss_peak_gb": round(samples["rss_peak_mb"] / 1024, 2),
        "completed": states.count("completed"),
        "other_states": sorted({s for s in states if s != "completed"}),
        "still_queued_after_the_last_start": queued_after_kill,
        "longest_wait_s": round(max(waits), 1),
        "total_s": round(time.time() - t0, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
