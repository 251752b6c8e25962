"""How does the app hold up with many people watching? N browser-less viewers on one page.

    .venv/bin/python docs/bench_viewers.py --url http://127.0.0.1:8501 --page train \\
        --viewers 20 --seconds 40 [--pid SERVER_PID] [--run-dir RUN_DIR] [--json out.json]

Each viewer (docs/load/st_client.py) opens the page over Streamlit's websocket
as a browser tab would and then follows the page's ``run_every`` fragments on
their own timers, so the server does the same work as for N open tabs, without
N browsers. Viewers connect staggered over ``--stagger`` seconds and the load
lasts ``--seconds`` from the first connect.

Reported:
- refreshes: fragment reruns answered, per fragment and in all, against what
  N tabs would ask for; their latency (request sent -> script_finished)
  p50/p95/max; payload bytes per refresh and image bytes fetched; ticks
  that got no run of their own ("merged"): the server folds requests that queue
  up behind a busy session into one run, and it cuts a fragment's run short
  when another fragment's request lands right behind it without running it
  after, so that tick is answered only by the fragment's next one;
- the first page load's latency;
- with ``--pid``: the server's RSS (VmRSS, sampled every second) at the start
  (before any viewer), at the end and its maximum, its threads and CPU use;
- with ``--run-dir``: the training job's speed while the viewers watch against
  a baseline window of ``--seconds / 3`` measured just before they connect, so
  the slowdown comes from one run. The speed comes from status.json, sampled
  every second: the trainer's own images_per_s is a mean since the job started
  (so it hardly moves in a short window), hence the windowed figure is the
  progress it reports (epoch, step, batch_size) over the window's
  ``updated_at`` span. The median images/s of the epochs that ended in each
  window (metrics.jsonl) is given too; it leaves out evaluation pauses.

The load generator runs in this one process; its own CPU time is printed so a
saturated client can be told from a saturated server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "load"))

from st_client import FINISHED_EARLY, Request, Viewer  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- small helpers ------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def read_proc(pid: int) -> dict | None:
    """RSS (bytes), threads and CPU seconds of a process, from /proc; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    after_name = stat.rsplit(")", 1)[1].split()  # the name may hold spaces; fields resume after ")"
    utime, stime = int(after_name[11]), int(after_name[12])  # fields 14 and 15 of /proc/PID/stat
    return {
        "rss": int(fields["VmRSS"].split()[0]) * 1024,
        "threads": int(fields["Threads"]),
        "cpu_s": (utime + stime) / CLOCK_TICKS,
    }


def read_status(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "status.json").read_text())
    except (OSError, ValueError):
        return None  # missing, or caught mid-write


# -- samplers (once a second, in the same event loop as the viewers) -------------------
async def sample_forever(fn, into: list, every: float = 1.0) -> None:
    while True:
        value = fn()
        if value is not None:
            into.append((time.time(), value))
        await asyncio.sleep(every)


# -- training speed ------------------------------------------------------------------
def training_window(samples: list[tuple[float, dict]], run_dir: Path, start: float, end: float) -> dict:
    """Training speed between two wall-clock times, from status.json samples and metrics.jsonl."""
    points = {}  # updated_at -> images done so far; one point per status write
    reported = []
    for _, status in samples:
        if status.get("state") != "running" or not status.get("updated_at"):
            continue
        if start <= status["updated_at"] <= end:
            done = status.get("epoch", 0) * status.get("steps_per_epoch", 0) + status.get("step", 0)
            points[status["updated_at"]] = done * status.get("batch_size", 0)
            if status.get("images_per_s"):
                reported.append(status["images_per_s"])
    out: dict = {"status_writes": len(points)}
    in_window = [status for t, status in samples if start <= t <= end]
    if in_window:  # the page's work grows with the run's history, so say how far along it was
        out["epoch_at_end"] = in_window[-1].get("epoch")
    if len(points) >= 2:
        (t0, n0), (t1, n1) = min(points.items()), max(points.items())
        out["images_per_s"] = (n1 - n0) / (t1 - t0) if t1 > t0 else None
    if reported:
        out["reported_images_per_s_last"] = reported[-1]  # the trainer's mean since it started
    # Epochs that ended inside the window: their own images/s (evaluation time excluded).
    per_epoch = None
    last = samples[-1][1] if samples else {}
    if last.get("steps_per_epoch") and last.get("batch_size"):
        per_epoch = last["steps_per_epoch"] * last["batch_size"]
    epoch_rates = []
    try:
        lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the trainer may be writing the last line
        if record.get("kind") == "epoch" and start <= record.get("time", 0) <= end and record.get("seconds"):
            epoch_rates.append(per_epoch / record["seconds"] if per_epoch else record.get("images_per_s"))
    if epoch_rates:
        out["epochs"] = len(epoch_rates)
        out["epoch_median_images_per_s"] = statistics.median(epoch_rates)
    return out


# -- the viewers' numbers --------------------------------------------------------------
def summarize_viewers(viewers: list[Viewer], load_seconds: float) -> dict:
    page_loads, errors = [], []
    by_fragment: dict[str, dict] = {}
    intervals: dict[str, float] = {}
    media_fetched = media_bytes = media_errors = ref_hashes = exceptions = not_found = 0
    bytes_total = 0
    early = 0
    oldest_unanswered = 0.0  # how long the longest-waiting request had waited when its viewer left
    for viewer in viewers:
        s = viewer.stats
        if s.error:
            errors.append(s.error)
        intervals.update(s.auto_rerun_intervals)
        media_fetched += s.media_fetched
        media_bytes += s.media_bytes
        media_errors += s.media_errors
        ref_hashes += s.ref_hashes
        exceptions += s.exceptions
        not_found += s.page_not_found
        bytes_total += s.bytes_total
        last_of: dict[str, Request] = {}  # fragment id -> this viewer's previous request for it
        for request in s.requests:
            if not request.fragment_id:
                if request.latency is not None:
                    page_loads.append(request.latency)
                continue
            entry = by_fragment.setdefault(request.fragment_id, _new_entry())
            entry["sent"] += 1
            if request.latency is not None:
                entry["latencies"].append(request.latency)
            elif s.closed is not None:
                oldest_unanswered = max(oldest_unanswered, s.closed - request.sent)
            previous = last_of.get(request.fragment_id)
            if previous is not None and previous.answered is not None and previous.answered == request.answered:
                entry["merged"] += 1  # the earlier tick got no run of its own: the later one's answered both
            last_of[request.fragment_id] = request
        for run in s.runs:
            if run.status == FINISHED_EARLY:
                early += 1
            elif run.finished is not None and len(run.fragment_ids) == 1:
                entry = by_fragment.setdefault(run.fragment_ids[0], _new_entry())
                entry["bytes"].append(run.bytes)

    def describe(latencies: list[float]) -> dict:
        return {
            "p50_ms": _ms(percentile(latencies, 50)),
            "p95_ms": _ms(percentile(latencies, 95)),
            "max_ms": _ms(max(latencies) if latencies else None),
        }

    def ideal(interval: float | None) -> int | None:
        """Refreshes the viewers' timers would ask for, each tab ticking from its connect to its close."""
        if not interval:
            return None
        return sum(
            int((v.stats.closed - v.stats.connected) // interval)
            for v in viewers
            if v.stats.connected is not None and v.stats.closed is not None
        )

    fragments = []
    all_latencies = []
    for fragment_id, entry in by_fragment.items():
        interval = intervals.get(fragment_id)
        all_latencies += entry["latencies"]
        fragments.append(
            {
                "fragment_id": fragment_id,
                "interval_s": interval,
                "requested": entry["sent"],
                "refreshes": len(entry["latencies"]),
                "merged_ticks": entry["merged"],
                "ideal_refreshes": ideal(interval),
                **describe(entry["latencies"]),
                "bytes_per_refresh": round(statistics.mean(entry["bytes"])) if entry["bytes"] else None,
            }
        )
    fragments.sort(key=lambda f: f["interval_s"] or 0)
    refreshes = sum(f["refreshes"] for f in fragments)
    return {
        "viewers": len(viewers),
        "connection_errors": errors,
        "page_loads": len(page_loads),
        "page_load": describe(page_loads),
        "refreshes": refreshes,
        "refreshes_per_s": refreshes / load_seconds if load_seconds else None,
        "requests": sum(f["requested"] for f in fragments),
        "unanswered_requests": sum(f["requested"] - f["refreshes"] for f in fragments),
        # Latencies above count answered requests only; under overload this bounds the rest from below.
        "oldest_unanswered_s": round(oldest_unanswered, 1),
        "runs_cut_short": early,
        "refresh_latency": describe(all_latencies),
        "fragments": fragments,
        "payload_bytes_total": bytes_total,
        "ref_hash_messages": ref_hashes,
        "media_fetched": media_fetched,
        "media_bytes_per_fetch": round(media_bytes / media_fetched) if media_fetched else None,
        "media_errors": media_errors,
        "exceptions_shown": exceptions,
        "page_not_found": not_found,
    }


def _new_entry() -> dict:
    return {"latencies": [], "sent": 0, "bytes": [], "merged": 0}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def server_numbers(samples: list[tuple[float, dict]], load_start: float, base_start: float) -> dict:
    if not samples:
        return {}
    rss = [s["rss"] for _, s in samples]
    mb = 2**20

    def cpu_share(a: float, b: float) -> float | None:
        inside = [(t, s["cpu_s"]) for t, s in samples if a <= t <= b]
        if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
            return None
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    before = [(t, s) for t, s in samples if t < load_start]
    return {
        "rss_start_mb": round(rss[0] / mb, 1),
        "rss_end_mb": round(rss[-1] / mb, 1),
        "rss_max_mb": round(max(rss) / mb, 1),
        "threads_start": samples[0][1]["threads"],
        "threads_max": max(s["threads"] for _, s in samples),
        "cpu_cores_before": _round(cpu_share(base_start, load_start)) if len(before) >= 2 else None,
        "cpu_cores_during": _round(cpu_share(load_start, samples[-1][0])),
    }


def _round(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


# -- the run -------------------------------------------------------------------------
async def bench(args: argparse.Namespace) -> dict:
    with urllib.request.urlopen(args.url.rstrip("/") + "/_stcore/health", timeout=10) as response:
        if response.read().strip() != b"ok":
            raise SystemExit(f"{args.url} is not a healthy Streamlit server")
    run_dir = Path(args.run_dir) if args.run_dir else None
    proc_samples: list = []
    status_samples: list = []
    samplers = []
    if args.pid:
        samplers.append(asyncio.create_task(sample_forever(lambda: read_proc(args.pid), proc_samples)))
    if run_dir:
        samplers.append(asyncio.create_task(sample_forever(lambda: read_status(run_dir), status_samples)))

    base_start = time.time()
    baseline_s = args.baseline_seconds if args.baseline_seconds is not None else args.seconds / 3
    if run_dir or args.pid:
        print(f"baseline: {baseline_s:.0f} s with no viewer", file=sys.stderr)
        await asyncio.sleep(baseline_s)
    load_start = time.time()
    cpu_before = time.process_time()

    viewers = [
        Viewer(args.url, page=args.page, query_string=args.query, fetch_media=not args.no_media, name=f"v{i}")
        for i in range(args.viewers)
    ]

    async def one(i: int, viewer: Viewer) -> None:
        offset = args.stagger * i / max(args.viewers, 1)
        await asyncio.sleep(offset)
        await viewer.run(args.seconds - offset)

    print(f"load: {args.viewers} viewer(s) on /{args.page} for {args.seconds:.0f} s", file=sys.stderr)
    await asyncio.gather(*(one(i, v) for i, v in enumerate(viewers)))
    load_end = min(time.time(), load_start + args.seconds)  # not the closing handshakes
    client_cpu = time.process_time() - cpu_before
    await asyncio.sleep(1.1)  # one more sample of each, after the viewers left
    for task in samplers:
        task.cancel()

    connected = load_start + args.stagger  # every viewer is in from here on
    result = {
        "url": args.url,
        "page": args.page,
        "seconds": args.seconds,
        "started_at": round(load_start, 1),
        "stagger_s": args.stagger,
        "client_cpu_s": round(client_cpu, 2),
        **summarize_viewers(viewers, args.seconds),
    }
    if args.pid:
        result["server"] = server_numbers(proc_samples, load_start, base_start)
    if run_dir:
        base = training_window(status_samples, run_dir, base_start, load_start)
        load = training_window(status_samples, run_dir, connected, load_end)
        ratio = None
        if base.get("images_per_s") and load.get("images_per_s"):
            ratio = load["images_per_s"] / base["images_per_s"]
        result["training"] = {
            "baseline_window_s": round(load_start - base_start, 1),
            "load_window_s": round(load_end - connected, 1),
            "baseline": base,
            "with_viewers": load,
            "speed_ratio": _round(ratio, 3),  # < 1: the viewers slow the job down
        }
    return result


def table(r: dict) -> str:
    def f(x, unit=""):
        if x is None:
            return "-"
        return f"{x:,.0f}{unit}" if isinstance(x, float) and abs(x) >= 100 else f"{x}{unit}"

    rows = [
        ("viewers", f"{r['viewers']} on /{r['page']} for {r['seconds']:.0f} s"),
        ("connection errors", str(len(r["connection_errors"]))),
        (
            "page load p50 / max",
            f"{f(r['page_load']['p50_ms'], ' ms')} / {f(r['page_load']['max_ms'], ' ms')} "
            f"({r['page_loads']} of {r['viewers']} pages finished loading)",
        ),
        (
            "refreshes (all fragments)",
            f"{r['refreshes']} of {r['requests']} requests answered ({r['refreshes_per_s']:.1f}/s); "
            f"{r['unanswered_requests']} unanswered, oldest waiting {r['oldest_unanswered_s']} s",
        ),
        (
            "refresh latency p50/p95/max",
            f"{f(r['refresh_latency']['p50_ms'])} / {f(r['refresh_latency']['p95_ms'])} / "
            f"{f(r['refresh_latency']['max_ms'])} ms",
        ),
    ]
    for frag in r["fragments"]:
        rows.append(
            (
                f"  fragment every {frag['interval_s']:g} s",
                f"{frag['refreshes']}/{frag['ideal_refreshes']} refreshes ({frag['merged_ticks']} ticks merged), "
                f"{f(frag['p50_ms'])} / {f(frag['p95_ms'])} / {f(frag['max_ms'])} ms, "
                f"{f(frag['bytes_per_refresh'])} B/refresh",
            )
        )
    rows += [
        ("images fetched", f"{r['media_fetched']} x {f(r['media_bytes_per_fetch'], ' B')}"),
        ("ref_hash messages", str(r["ref_hash_messages"])),
        ("exceptions shown", str(r["exceptions_shown"])),
        ("load generator CPU", f"{r['client_cpu_s']} s"),
    ]
    if "server" in r:
        s = r["server"]
        rows += [
            (
                "server RSS start/end/max",
                f"{s['rss_start_mb']} / {s['rss_end_mb']} / {s['rss_max_mb']} MB",
            ),
            ("server threads start/max", f"{s['threads_start']} / {s['threads_max']}"),
            ("server CPU before/during", f"{f(s['cpu_cores_before'])} / {f(s['cpu_cores_during'])} cores"),
        ]
    if "training" in r:
        t = r["training"]
        b, w = t["baseline"], t["with_viewers"]
        rows += [
            (
                "training images/s",
                f"{f(b.get('images_per_s'))} ({t['baseline_window_s']:.0f} s alone) -> "
                f"{f(w.get('images_per_s'))} ({t['load_window_s']:.0f} s watched), ratio {f(t['speed_ratio'])}",
            ),
            (
                "  epoch median images/s",
                f"{f(b.get('epoch_median_images_per_s'))} -> {f(w.get('epoch_median_images_per_s'))}",
            ),
            ("  trainer's mean since start", f"{f(w.get('reported_images_per_s_last'))}"),
            ("  job at epoch", f"{w.get('epoch_at_end', '-')}"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="the app, e.g. http://127.0.0.1:8501")
    p.add_argument("--page", default="", help="URL path of the page, e.g. train ('' = the default page)")
    p.add_argument("--query", default="", help="query string the tab opens with")
    p.add_argument("--viewers", type=int, default=5)
    p.add_argument("--seconds", type=float, default=40.0, help="how long the viewers stay, from the first connect")
    p.add_argument("--stagger", type=float, default=2.0, help="viewers connect spread over this many seconds")
    p.add_argument("--pid", type=int, help="server process to sample (RSS, threads, CPU)")
    p.add_argument("--run-dir", help="a training job's run directory: measure its speed alone and watched")
    p.add_argument("--baseline-seconds", type=float, help="length of the no-viewer window (default seconds/3)")
    p.add_argument("--no-media", action="store_true", help="do not fetch /media images as a browser would")
    p.add_argument("--json", help="also write the JSON here")
    args = p.parse_args()
    if args.stagger >= args.seconds:
        p.error("--stagger must be shorter than --seconds")
    result = asyncio.run(bench(args))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print()
    print(table(result))


if __name__ == "__main__":
    main()
