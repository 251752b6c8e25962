"""Shared state keys, cached loaders and widgets for the pages."""

from __future__ import annotations

import functools
import gc
import re
import threading

import numpy as np
import streamlit as st

from genlib import data
from genlib.images import make_grid
from genlib.runs import JobManager, RunStore
from genlib.runs.tasks import TaskQueue
from views._state import choices, guard, note_watcher, refresh_interval, seed_widget, select_run, selected_run


def keep_keras_state_between_runs() -> None:
    """Stop Streamlit calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that whenever keras is imported (to free models a script made and
    dropped). Here models live in ``st.cache_resource`` on purpose, and the call runs
    a full garbage collection: about 0.25 s of CPU per run with TensorFlow loaded,
    which the Train page's 2 s fragment pays for every viewer, taken from the
    training job on the same machine (docs/bench_app_vs_cli.py measures it).
    """
    from streamlit.runtime.scriptrunner import script_runner

    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = lambda: None


@st.cache_resource
def job_manager() -> JobManager:
    return JobManager(RunStore())


def keep_worker_running() -> None:
    """Start the worker if none runs, once the page is drawn: it then keeps a warm process (TensorFlow
    imported), so the first Start need not wait for it, and a first visit does not wait for either."""
    job_manager().ensure_worker()


@st.cache_resource
def task_queue() -> TaskQueue:
    return TaskQueue(RunStore(folder="tasks"), job_manager().store)


def device_info() -> dict:
    """Backend and device. Read from the file the worker's warm process writes, so a page that needs
    no model (Data, Train, Runs) never imports TensorFlow into the server; probed here only if it is."""
    import sys

    from genlib.training.backends import recorded_device

    if "tensorflow" in sys.modules:
        return _probed_device()
    return recorded_device() or {"backend": "TensorFlow", "device": "CPU or GPU (starting up)"}


@st.cache_resource
def _probed_device() -> dict:
    from genlib.training.backends import backend, import_quietly

    import_quietly()
    return backend().device_info()


def dataset_stats(name: str):
    return _dataset_stats(name, data.dataset_stamp(name))


def dataset_grid(name: str, n: int = 64, seed: int = 0) -> np.ndarray:
    return _dataset_grid(name, data.dataset_stamp(name), n, seed)


# Keyed by the file's stamp too: a set deleted and imported again under its name is new.
@st.cache_data(max_entries=16)
def _dataset_stats(name: str, stamp: int):
    return data.compute_stats(data.load_dataset(name))


def augmentation_preview(name: str, augment: tuple, rows: int = 3) -> np.ndarray:
    """Eight real images on top, then ``rows`` random augmentations of the same eight below."""
    return _augmentation_preview(name, data.dataset_stamp(name), augment, rows)


@st.cache_data(max_entries=16, show_spinner="Augmenting sample images…")
def _augmentation_preview(name: str, stamp: int, augment: tuple, rows: int) -> np.ndarray:
    import keras

    from genlib.data.augment import Augment

    ds = data.load_dataset(name)
    real = ds.images[np.random.default_rng(0).choice(len(ds), 8, replace=False)]
    x = real.astype("float32") / 127.5 - 1.0
    aug = Augment(*augment)
    seed = keras.random.SeedGenerator(0)
    drawn = [np.asarray(aug(x, seed)) for _ in range(rows)]
    out = np.concatenate([real, *[np.round((d + 1.0) * 127.5).clip(0, 255).astype(np.uint8) for d in drawn]])
    return make_grid(out, ncols=8, min_cell=48)


@st.cache_data(max_entries=16)
def _dataset_grid(name: str, stamp: int, n: int, seed: int) -> np.ndarray:
    ds = data.load_dataset(name)
    idx = np.random.default_rng(seed).choice(len(ds), size=min(n, len(ds)), replace=False)
    return make_grid(ds.images[np.sort(idx)], ncols=16)


# -- charts after the first paint ---------------------------------------------------
# The browser loads the chart library (Plotly: 4.7 MB of script) when the first chart
# arrives, and holds back everything that arrived with it until it has: about 2 s on
# this machine, so a page's images wait for a chart's library (docs/BENCHMARKS.md,
# 'The Gallery of a 10,000-epoch run'). A tab that has not loaded it yet gets its
# charts one round trip after the rest of the page is on screen.
_CHARTS_LOADED = "_chart_library_loaded"
_PAINT_TICKS = "_paint_ticks"
PAINT_WAIT_S = 0.5


def plotly_chart(figure, **kwargs):
    """``st.plotly_chart``, noting that this tab has the chart library from now on."""
    st.session_state[_CHARTS_LOADED] = True
    return st.plotly_chart(figure, **kwargs)


def charts_after_paint(draw, placeholder: str = "Drawing the chart…") -> None:
    """Call ``draw`` (it draws Plotly charts) now if this tab has the chart library, else once the page shows."""
    if st.session_state.get(_CHARTS_LOADED):
        draw()
        return
    st.session_state[_PAINT_TICKS] = 0
    _after_paint(placeholder)


@st.fragment(run_every=PAINT_WAIT_S)
def _after_paint(placeholder: str) -> None:
    ticks = st.session_state.get(_PAINT_TICKS, 0)
    st.session_state[_PAINT_TICKS] = ticks + 1
    if ticks:  # the browser's timer, so the page is on screen: draw the charts in a run of their own
        st.session_state[_CHARTS_LOADED] = True
        st.rerun(scope="app")
    st.caption(f":material/hourglass: {placeholder}")


def show_grid(array: np.ndarray, caption: str | None = None, width: int | str = "stretch") -> None:
    st.image(array[..., 0] if array.shape[-1] == 1 else array, caption=caption, width=width, clamp=True)


def sidebar(live_counts: bool = True) -> None:
    with st.sidebar:
        if live_counts:
            job_count()
        else:
            # The page refreshes its own view of the runs (Train, Runs), and a count drawn once
            # here would go stale beside it ("0 training, 1 waiting" under a live run).
            device_caption()
        st.caption(f":material/tune: {choices().headline()}")
        who_am_i()


def device_caption() -> None:
    info = device_info()
    extra = f" · {info['gpu_memory_used'] / 2**20:.0f} MB GPU memory in use" if "gpu_memory_used" in info else ""
    st.caption(f":material/memory: {info['backend']} on **{info['device']}**{extra}")


def job_count() -> None:
    """The sidebar's device line and job counts, refreshing as often as the room's size allows."""
    st.fragment(run_every=refresh_interval(base=5.0))(_job_count)()


@guard
def _job_count() -> None:
    """Running and queued jobs, refreshed on its own so it never goes stale on a quiet page. The device
    line with it: on a first visit it reads "starting up" until the worker's warm process has looked."""
    note_watcher()  # people on any page count towards the room's size
    device_caption()
    training, waiting = job_counts()
    st.caption(f":material/model_training: {jobs_text(training, waiting)}")


def jobs_text(training: int, waiting: int) -> str:
    """'No job training', '1 job training · 2 waiting'."""
    text = "No job training" if not training else f"{training} job{'s' if training > 1 else ''} training"
    return text + (f" · {waiting} waiting" if waiting else "")


@st.cache_data(ttl=2.0, show_spinner=False)
def running_summaries() -> list[dict]:
    """The training runs' summaries, shared by every session for 2 s (each Train page asks every refresh)."""
    return [s for s in (r.summary() for r in job_manager().active()) if s["state"] == "running"]


@st.cache_data(ttl=2.0, show_spinner=False)
def job_counts() -> tuple[int, int]:
    """(training, waiting), shared by every session for 2 s: a room's sidebars read the runs once."""
    jobs = job_manager()
    active, waiting = len(jobs.active()), len(jobs.queue())
    return active - waiting, waiting


def only_owner_text(owner: str | None, action: str) -> str:
    """'Only Alice or the presenter can <action>.' for a run ``owner`` owns; 'Only the presenter' for theirs."""
    if owner in (None, "", "presenter", "local"):
        return f"Only the presenter can {action}." if owner else f"Only its owner or the presenter can {action}."
    return f"Only **{owner}** or the presenter can {action}."


def who_am_i() -> None:
    """The session's role, and the ways to change it that this server offers."""
    from views import _auth

    user = _auth.current_user()
    icons = {"presenter": ":material/co_present:", "trainer": ":material/person:", "viewer": ":material/visibility:"}
    role = "" if user.name == user.role else f" · {user.role}"  # not "presenter · presenter"
    st.caption(f"{icons[user.role]} **{user.name}**{role}")
    _auth.remember_name()
    if user.role == "viewer" or (user.is_presenter and user.name != "local"):
        with st.expander("Sign in" if user.role == "viewer" else "Account"):
            _auth.sign_in_forms(user)


def headline() -> None:
    """'dataset · family · preset' at the top of Model and Train, linking back to where each is chosen."""
    c = choices()
    changes = c.changes_text()
    st.markdown(
        f":material/dataset: **{c.dataset}** · :material/account_tree: **{c.family_card.title}** · preset `{c.preset}`"
        + (f" · changed from the preset: {changes}" if changes else "")
    )


def run_picker(key: str, label: str = "Run") -> str | None:
    """Select a run: the session's current one while it exists, else the newest active, else the newest.

    The selection lives in the session store, not the widget, so Start, Open in
    Gallery and deletions elsewhere all move it, and a vanished run falls back quietly.
    """
    runs = job_manager().store.list()
    ids = [r.id for r in runs]
    if not ids:
        return None
    summaries = {r.id: r.summary() for r in runs}  # cached per change of the run's files
    running = [i for i in ids if summaries[i]["state"] == "running"]
    active = running[0] if running else next((i for i in ids if summaries[i]["state"] == "queued"), None)
    current = selected_run(ids, fallback=active)
    seed_widget(key, current)
    st.selectbox(
        label,
        ids,
        key=key,
        format_func=lambda i: run_label(summaries.get(i, {"run_id": i})),
        on_change=lambda: select_run(st.session_state[key]),
    )
    return current


def run_label(summary: dict) -> str:
    """A run as menus show it: its id, and its title if it has one (its state changes under a menu drawn once)."""
    return summary["run_id"] + (f" · “{summary['title']}”" if summary.get("title") else "")


def short_name(summary: dict) -> str:
    """A run in legends and column headers: its title with the end of its id ('“wide G” ·6af2'), else its id."""
    title = summary.get("title")
    return f"“{title}” ·{summary['run_id'][-4:]}" if title else summary["run_id"]


def others_training(current: str) -> None:
    """A line naming the runs training besides ``current``; for a page that refreshes itself (Train)."""
    running = [s for s in running_summaries() if s["run_id"] != current]
    if running:
        names = ", ".join(run_label(s) for s in running)
        st.caption(f":material/model_training: Also training now: {names}. Pick it in the Run menu to watch it.")


_BUILD_LOCK = threading.Lock()


@st.cache_data(max_entries=32)
def model_overview(family: str, config_json: str, dataset_size: int, batch: int, gpu: bool) -> dict:
    """Network tables and the cost estimate for a config (built once per config, shared by all sessions).

    The model is built to be described, then dropped and collected at once: the largest
    the fields allow (six layers of 4,096) takes about 2 GB while it exists. One build at a
    time, so a room changing fields together cannot stack them (docs/BENCHMARKS.md, 'Memory').
    """
    from genlib.explore import estimate_cost
    from genlib.models import create_model, get_family

    with _BUILD_LOCK:
        model = create_model(family, get_family(family).config_class.from_json(config_json))
        try:
            return {**model.describe(), **estimate_cost(model, dataset_size, batch, gpu)}
        finally:
            del model
            gc.collect()  # Keras models hold reference cycles; the app turns off Streamlit's own collection


@st.cache_resource(max_entries=4)
def run_model(run_id: str, stamp: tuple[str, float]):
    """The run's best or last model (``stamp`` from ``model_stamp``), reloaded when its file changes."""
    from genlib.explore import load_run_model

    return load_run_model(job_manager().store.get(run_id), stamp[0])


def model_stamp(run, which: str = "best") -> tuple[str, float]:
    """Which model, and when its file last changed (0 before epoch 1): the key for cached results."""
    return (which, run.model_mtime(which) or 0.0)


def model_for(run, which: str = "best") -> object | None:
    return run_model(run.id, model_stamp(run, which))


def model_choice(run, key: str) -> str:
    """A best/last switch where the run kept a best model; "best" (which falls back to the last) otherwise."""
    best = run.best()
    if best is None:
        return "best"
    last_epoch = run.raw_status().get("epoch")
    labels = {
        "best": f"Best (epoch {best['epoch']}, FID {best['fid']:.1f})",
        "last": f"Last (epoch {last_epoch})",
    }
    return st.radio(
        "Model",
        ["best", "last"],
        format_func=labels.get,
        key=key,
        horizontal=True,
        help="The run kept the model of its lowest in-training FID as well as its last one.",
    )


def metric_text(key: str, value, scores: dict | None = None) -> str:
    """A metric formatted for tables: coverage as k/K, shares as %, the rest to 3 digits."""
    if value is None:
        return "–"
    if key == "coverage" and scores and scores.get("class_counts"):
        k = len(scores["class_counts"])
        return f"{round(value * k)}/{k}"
    if key in ("coverage", "copy_share", "precision", "recall", "balance"):
        return f"{value:.0%}"
    return f"{value:.2f}"


def show_findings(findings) -> None:
    """The health panel: one coloured box per finding, with what to try."""
    boxes = {"ok": st.success, "warning": st.warning, "error": st.error}
    icons = {"ok": ":material/check_circle:", "warning": ":material/warning:", "error": ":material/error:"}
    for f in findings:
        text = f"**{f.title}.** {f.detail}" + (f"  \n*What to try:* {f.advice}" if f.advice else "")
        boxes[f.level](text, icon=icons[f.level])


def config_error_text(exc) -> str:
    """A config error for a form: the field's label first, its name for the CLI in brackets."""
    from genlib.config import field_label

    text, name = str(exc), getattr(exc, "field", None)

    def labelled(field: str) -> str:
        label = field_label(field)
        same = label.lower().replace(" ", "_") == field  # "Epochs" needs no "(`epochs`)"
        return f"**{label}**{'' if same else f' (`{field}`)'}"

    head = ""
    if name and text.startswith(name):
        head, text = labelled(name), text[len(name) :]
    # Other fields the message names ("set eval_every above 0") by the labels the page shows them under.
    known = _field_names()

    def label_known(match: re.Match) -> str:
        return labelled(match[0]) if match[0] in known else match[0]

    return head + re.sub(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", label_known, text)


@functools.cache
def _field_names() -> frozenset[str]:
    """Every training and model field's name, for spotting them in messages."""
    from genlib.models import get_family, list_families
    from genlib.training import TrainConfig

    configs = [TrainConfig, *(get_family(f).config_class for f in list_families())]
    return frozenset(f["name"] for c in configs for f in c.field_info())


def field_help(name: str) -> str:
    """The help text a TrainConfig field declares, with its name and range, for widgets that set it."""
    from genlib.config import number_text
    from genlib.training import TrainConfig

    f = next(f for f in TrainConfig.field_info() if f["name"] == name)
    rule = f" · {number_text(f['low'])} to {number_text(f['high'])}" if f["low"] is not None else ""
    return f"{f['help']}  \n`{name}`{rule}"


def metric_delta_text(key: str, last: dict, previous: dict | None) -> str | None:
    """The change since the previous evaluation, in the unit the value is shown in."""
    if previous is None or previous.get(key) is None or last.get(key) is None:
        return None
    delta = last[key] - previous[key]
    if key == "coverage" and last.get("class_counts"):
        shown, form = round(delta * len(last["class_counts"])), "{:+d} classes"
    elif key in ("coverage", "copy_share", "precision", "recall", "balance"):
        shown, form = round(delta, 2), "{:+.0%}"
    else:
        shown, form = round(delta, 2), "{:+.2f}"
    return form.format(shown) if shown else None  # no change as shown: no "+0" beside a green arrow


@st.cache_data(max_entries=16, show_spinner="Finding the closest training images…")
def closest_pairs(run_id: str, stamp: tuple[str, float], dataset: str):
    """(samples, nearest training images, distances, typical real distance) for a run's model."""
    from genlib.metrics import get_evaluator, nearest_pairs

    run = job_manager().store.get(run_id)
    return nearest_pairs(model_for(run, stamp[0]), get_evaluator(dataset), n=1000, k=8)


@st.cache_data(ttl=600, show_spinner=False)
def inception_offered() -> bool:
    from genlib.metrics.inception import available

    return available()


def known_speed(model_json: str, batch: int, dataset: str, dataset_size: int) -> dict | None:
    """Seconds per epoch from a run of this exact config, else from an earlier measurement; else None."""
    import json

    from genlib.training.speed import cached_speed, from_history

    model = json.loads(model_json)
    return from_history(job_manager().store.list(), model, batch, dataset) or cached_speed(model, batch, dataset_size)


def measure_speed(config: dict) -> None:
    """Run ``python -m genlib speed`` in a short-lived process (TensorFlow stays out of the server)."""
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from genlib.errors import GenlibError

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        root = Path(__file__).resolve().parents[1]
        try:
            done = subprocess.run(
                [sys.executable, "-m", "genlib", "speed", str(path)],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:
            raise GenlibError("measuring took over 5 minutes; the machine may be busy") from None
    if done.returncode:
        raise GenlibError(f"could not measure: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
