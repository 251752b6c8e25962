"""What a live view costs per refresh, kept bounded whatever the run's length or the room's size.

- One ``Feed`` per run, shared by every session: each refresh reads only what the
  trainer appended since anyone last looked.
- Charts, health findings and quality panels are rebuilt at most every
  ``REBUILD_EVERY_S`` per run and shared; curves are decimated to a fixed number
  of points, so a 10,000-epoch run sends what a 10-epoch run sends.
- The refresh interval grows with the number of people watching
  (``views._state.refresh_interval``), so the server's work per second stays flat
  as a room joins (docs/BENCHMARKS.md, "A room on one server").
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from genlib.metrics import diagnose
from genlib.runs.feed import Feed, decimate
from views._charts import loss_figures, quality_figures

CURVE_POINTS = 400  # per series: enough for a chart a few hundred pixels wide
EVAL_POINTS = 300
REBUILD_EVERY_S = 2.0  # the shared view of a live run is rebuilt at most this often


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


@st.cache_resource
def _views() -> dict:
    return {"lock": threading.Lock(), "views": {}, "building": set()}


def live_view(run, family: str, state: str, error: str) -> dict:
    """Figures and findings for a run's metrics, shared by every viewer and rebuilt at most every
    ``REBUILD_EVERY_S`` seconds, however many watch and however often the trainer writes.

    While one session rebuilds, the others keep showing the previous view.
    """
    feed = metrics_feed(run)
    version = feed.refresh()  # reads only the lines appended since anyone's last look
    book = _views()
    key = run.path
    with book["lock"]:
        held = book["views"].get(key)
        fresh = held and (held["version"] == version or time.time() - held["built"] < REBUILD_EVERY_S)
        if fresh and held["status"] == (state, error):
            return held["view"]
        if held and key in book["building"]:
            return held["view"]
        book["building"].add(key)
    try:
        view = _build_view(feed, run.log_keys(), state, error)
        with book["lock"]:
            if len(book["views"]) > 64:
                book["views"].clear()
            book["views"][key] = {"version": version, "built": time.time(), "status": (state, error), "view": view}
        return view
    finally:
        with book["lock"]:
            book["building"].discard(key)


def _build_view(feed: Feed, log_keys: dict, state: str, error: str) -> dict:
    steps, evals = feed.records("step"), feed.records("eval")
    names = [k for k, (kind, _) in log_keys.items() if kind != "learning_rate"]  # the rate is logged per epoch
    losses = []
    if steps:
        columns = feed.columns("step", ("step", "epoch", *names))
        losses = loss_figures(decimate(columns, [*names, "epoch"], points=CURVE_POINTS), log_keys)
    quality = []
    if evals:
        keys = ("fid", "coverage", "precision", "recall")
        columns = feed.columns("eval", ("epoch", *keys))
        quality = quality_figures(decimate(columns, list(keys), x="epoch", points=EVAL_POINTS))
    # The health rules read the recent past: the last tenth of the steps and every evaluation.
    return {
        "losses": losses,
        "findings": diagnose(
            steps[-20_000:] + evals[-200:],
            {"state": state, "error": error, "log_keys": log_keys},
            adversarial="d_loss" in names,
        ),
        "evals": evals[-2:],
        "quality": quality,
    }
