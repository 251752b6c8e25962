"""What a live view costs per refresh, kept bounded whatever the run's length or the room's size.

- One ``Feed`` per run, shared by every session: each refresh reads only what the
  trainer appended since anyone last looked.
- Charts, health findings and quality panels are computed once per new data
  (keyed by the feed's version) and shared; curves are decimated to a fixed
  number of points, so a 10,000-epoch run sends what a 10-epoch run sends.
- The refresh interval grows with the number of people watching, so the server's
  total work per second stays flat as a room joins (docs/BENCHMARKS.md, 'Viewers').
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from genlib.metrics import diagnose
from genlib.models import get_family
from genlib.runs.feed import Feed, decimate
from views._charts import loss_figures, quality_figures
from views._ui import job_manager

CURVE_POINTS = 600  # per series: a chart's width in pixels, roughly
BASE_INTERVAL_S = 2.0
SECONDS_PER_VIEWER = 0.2  # past 10 watchers: 50 watchers refresh every 10 s
WATCH_WINDOW_S = 30.0


@st.cache_resource
def _feeds() -> dict:
    return {"lock": threading.Lock(), "feeds": {}}


def metrics_feed(run) -> Feed:
    """The shared incremental reader of ``run``'s metrics.jsonl."""
    book = _feeds()
    with book["lock"]:
        feed = book["feeds"].get(run.path)
        if feed is None:
            if len(book["feeds"]) > 256:  # runs come and go; start again rather than grow
                book["feeds"].clear()
            feed = book["feeds"][run.path] = Feed(run.metrics_path)
    return feed


@st.cache_data(max_entries=64, show_spinner=False)
def live_view(run_id: str, version: int, family: str, state: str, error: str) -> dict:
    """Figures and findings for one version of a run's metrics (computed once, shared by all viewers)."""
    run = job_manager().store.get(run_id)
    records = metrics_feed(run).records()
    steps = [r for r in records if r.get("kind") == "step"]
    evals = [r for r in records if r.get("kind") == "eval"]
    names = get_family(family).loss_names
    losses = []
    if steps:
        series = decimate(steps, [*names, "epoch"], points=CURVE_POINTS)
        losses = loss_figures(series, names)
    status = {"state": state, "error": error}
    return {
        "losses": losses,
        "findings": diagnose(records, status, adversarial="d_loss" in names),
        "evals": evals[-2:],
        "quality": quality_figures(evals) if evals else [],
    }


@st.cache_resource
def _watchers() -> dict:
    return {"lock": threading.Lock(), "seen": {}}


def note_watcher() -> int:
    """Record that this session is watching a live view now; return how many are."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    book = _watchers()
    now = time.time()
    with book["lock"]:
        if ctx is not None:
            book["seen"][ctx.session_id] = now
        if len(book["seen"]) > 16:
            book["seen"] = {k: t for k, t in book["seen"].items() if now - t < WATCH_WINDOW_S}
        return sum(now - t < WATCH_WINDOW_S for t in book["seen"].values())


def live_interval() -> float:
    """Seconds between refreshes of a live view for this session, from how many are watching."""
    return max(BASE_INTERVAL_S, note_watcher() * SECONDS_PER_VIEWER)
