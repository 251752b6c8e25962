"""Shared state keys, cached loaders and widgets for the pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from genlib import data
from genlib.images import make_grid
from genlib.runs import JobManager, RunStore
from views._state import choices, guard, seed_widget, select_run, selected_run


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


@st.cache_resource
def device_info() -> dict:
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


@st.cache_data(max_entries=16)
def _dataset_grid(name: str, stamp: int, n: int, seed: int) -> np.ndarray:
    ds = data.load_dataset(name)
    idx = np.random.default_rng(seed).choice(len(ds), size=min(n, len(ds)), replace=False)
    return make_grid(ds.images[np.sort(idx)], ncols=16)


def show_grid(array: np.ndarray, caption: str | None = None, width: int | str = "stretch") -> None:
    st.image(array[..., 0] if array.shape[-1] == 1 else array, caption=caption, width=width, clamp=True)


def sidebar() -> None:
    info = device_info()
    with st.sidebar:
        device = info["device"]
        extra = ""
        if "gpu_memory_used" in info:
            extra = f" · {info['gpu_memory_used'] / 2**20:.0f} MB GPU memory in use"
        st.caption(f":material/memory: {info['backend']} on **{device}**{extra}")
        job_count()
        st.caption(f":material/tune: {choices().headline()}")


@st.fragment(run_every="5s")
@guard
def job_count() -> None:
    """Running and queued jobs, refreshed on its own so it never goes stale on a quiet page."""
    active = job_manager().active()
    running = sum(r.status().get("state") == "running" for r in active)
    st.caption(f":material/model_training: {running} job(s) running, {len(active) - running} queued")


def headline() -> None:
    """'dataset · family · preset' at the top of Model and Train, linking back to where each is chosen."""
    c = choices()
    st.markdown(
        f":material/dataset: **{c.dataset}** · :material/account_tree: **{c.family_class.title}** · preset `{c.preset}`"
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
    active = next((r.id for r in runs if r.raw_status().get("state") in ("queued", "running")), None)
    current = selected_run(ids, fallback=active)
    seed_widget(key, current)
    st.selectbox(label, ids, key=key, on_change=lambda: select_run(st.session_state[key]))
    return current


# Curves over training (losses, quality): the legend sits below the x-axis title.
CURVE_LAYOUT = dict(height=280, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.3))


def loss_figures(records: list[dict], loss_names: tuple[str, ...]):
    """Plotly figures: losses by step, and the discriminator's outputs where logged."""
    import plotly.graph_objects as go

    probabilities = [k for k in loss_names if k.startswith("d_") and not k.endswith("loss")]
    losses = [k for k in loss_names if k not in probabilities]
    figures = []
    for keys, title in ((losses, "loss"), (probabilities, "D(x) and D(G(z))")):
        if not keys:
            continue
        fig = go.Figure()
        for k in keys:
            fig.add_scatter(
                x=[r["step"] for r in records],
                y=[r.get(k) for r in records],
                mode="lines",
                name=k,
                customdata=[r["epoch"] for r in records],
                hovertemplate="epoch %{customdata}<br>%{y:.4f}",
            )
        fig.update_layout(CURVE_LAYOUT, title=title, xaxis_title="step")
        figures.append(fig)
    return figures


@st.cache_data(max_entries=32)
def model_overview(family: str, config_json: str, dataset_size: int, batch: int, gpu: bool) -> dict:
    """Network tables and the cost estimate for a config (built once per config)."""
    from genlib.explore import estimate_cost
    from genlib.models import create_model, get_family

    model = create_model(family, get_family(family).config_class.from_json(config_json))
    return {**model.describe(), **estimate_cost(model, dataset_size, batch, gpu)}


@st.cache_resource(max_entries=4)
def run_model(run_id: str, _stamp: float):
    """The run's model (final or last checkpoint), reloaded when the checkpoint changes."""
    from genlib.explore import load_run_model

    return load_run_model(job_manager().store.get(run_id))


def model_stamp(run) -> float:
    """When the run's model file last changed (0 before epoch 1): the key for cached results."""
    path = run.trained_model_path()
    return path.stat().st_mtime if path else 0.0


def model_for(run) -> object | None:
    return run_model(run.id, model_stamp(run))


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


def quality_figures(evals: list[dict], baseline: dict | None = None):
    """Metrics over training: FID on its own axis, and the 0-1 scores together; real data dashed."""
    import plotly.graph_objects as go

    epochs = [r["epoch"] for r in evals]
    layout = dict(CURVE_LAYOUT, xaxis_title="epoch")
    fid = go.Figure(layout=layout)
    fid.add_scatter(x=epochs, y=[r["fid"] for r in evals], mode="lines+markers", name="FID")
    fid.update_layout(title="FID (evaluator) ↓ lower is better")
    shares = go.Figure(layout=layout)
    for key in ("coverage", "precision", "recall"):
        shares.add_scatter(x=epochs, y=[r.get(key) for r in evals], mode="lines+markers", name=key)
    shares.update_layout(title="coverage, precision, recall ↑", yaxis_range=[0, 1.05])
    if baseline:
        fid.add_hline(y=baseline["fid"], line_dash="dash", annotation_text="real data")
    return fid, shares


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
    if name and text.startswith(name):
        return f"**{field_label(name)}** (`{name}`){text[len(name) :]}"
    return text


def field_help(name: str) -> str:
    """The help text a TrainConfig field declares, with its name and range, for widgets that set it."""
    from genlib.training import TrainConfig

    f = next(f for f in TrainConfig.field_info() if f["name"] == name)
    rule = f" · {f['low']:,g} to {f['high']:,g}" if f["low"] is not None else ""
    return f"{f['help']}  \n`{name}`{rule}"


def metric_delta_text(key: str, last: dict, previous: dict | None) -> str | None:
    """The change since the previous evaluation, in the unit the value is shown in."""
    if previous is None or previous.get(key) is None or last.get(key) is None:
        return None
    delta = last[key] - previous[key]
    if key == "coverage" and last.get("class_counts"):
        return f"{round(delta * len(last['class_counts'])):+d} classes"
    if key in ("coverage", "copy_share", "precision", "recall", "balance"):
        return f"{delta:+.0%}"
    return f"{delta:+.2f}"


# -- Gallery: each view cached per (run, model file), so a rerun redraws without recomputing --
def run_dataset(name: str):
    """A run's dataset; DatasetError (a message) if it was deleted since."""
    return data.load_dataset(name)


MAX_CURVE_POINTS = 500  # a curve sent to the browser has at most this many points per trace


def epoch_loss_figure(run):
    """Epoch-mean losses with a marker per epoch (clickable); rebuilt only when metrics.jsonl grows."""
    size = run.metrics_path.stat().st_size if run.metrics_path.is_file() else 0
    return _epoch_loss_figure(run.id, size, run.read_config()["train"]["family"])


@st.cache_data(max_entries=16)
def _epoch_loss_figure(run_id: str, metrics_size: int, family: str):
    import plotly.graph_objects as go

    from genlib.models import get_family

    records = job_manager().store.get(run_id).metrics("epoch")
    step = max(1, -(-len(records) // MAX_CURVE_POINTS))
    shown = records[::step] + ([records[-1]] if records and (len(records) - 1) % step else [])
    fig = go.Figure()
    for k in get_family(family).loss_names:
        if not k.startswith("d_") or k.endswith("loss"):
            fig.add_scatter(
                x=[r["epoch"] for r in shown],
                y=[r.get(k) for r in shown],
                mode="lines+markers",
                marker_size=5,
                name=k,
                hovertemplate="epoch %{x}<br>%{y:.4f}<extra>" + k + "</extra>",
            )
    fig.update_layout(CURVE_LAYOUT, title="loss per epoch", xaxis_title="epoch", clickmode="event+select")
    return fig


@st.cache_data(max_entries=8, show_spinner="Making the animation…")
def gif_path(run_id: str, n_grids: int):
    from genlib.explore import training_gif

    return training_gif(job_manager().store.get(run_id))


@st.cache_data(max_entries=32)
def interpolation_grid(run_id: str, stamp: float, seed_a: int, seed_b: int, label: int | None) -> np.ndarray:
    from genlib.explore import interpolate

    model = run_model(run_id, stamp)
    return make_grid(interpolate(model, seed_a, seed_b, 10, label), ncols=10, min_cell=48)


@st.cache_data(max_entries=8)
def class_rows(run_id: str, stamp: float, class_names: tuple[str, ...] | None) -> np.ndarray:
    from genlib.images import label_rows

    model = run_model(run_id, stamp)
    k = model.config.num_classes
    grid = make_grid(model.generate(labels=np.repeat(np.arange(k), 10), seed=7), ncols=10, min_cell=40)
    return label_rows(grid, list(class_names or map(str, range(k))))


@st.cache_data(max_entries=8)
def reconstruction_grid(run_id: str, stamp: float, dataset: str) -> np.ndarray:
    from genlib.explore import reconstructions

    ds = data.load_dataset(dataset)
    real = ds.images[np.random.default_rng(0).choice(len(ds), 10, replace=False)]
    return make_grid(reconstructions(run_model(run_id, stamp), real), ncols=10, min_cell=48)


@st.cache_data(max_entries=8)
def latent_map_figure(run_id: str, stamp: float, dataset: str):
    """The codes of 2,000 training images on their first two principal axes, one colour per class."""
    import plotly.graph_objects as go

    from genlib.explore import latent_map

    ds = data.load_dataset(dataset)
    subset = np.random.default_rng(1).choice(len(ds), min(2000, len(ds)), replace=False)
    coords = latent_map(run_model(run_id, stamp), ds.images[subset])
    labels = ds.labels[subset] if ds.labels is not None else np.zeros(len(subset), int)
    names = ds.class_names or ["all"]
    fig = go.Figure()
    for k in np.unique(labels):
        pick = labels == k
        fig.add_scattergl(x=coords[pick, 0], y=coords[pick, 1], mode="markers", marker_size=5, name=names[k])
    fig.update_layout(
        height=440,
        title="Latent map (first two principal axes of the codes)",
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(title="class", itemsizing="constant"),
    )
    return fig


@st.cache_data(max_entries=16, show_spinner="Finding the closest training images…")
def closest_pairs(run_id: str, _stamp: float, dataset: str):
    """(samples, nearest training images, distances, typical real distance) for a run's model."""
    from genlib.metrics import get_evaluator, nearest_pairs

    run = job_manager().store.get(run_id)
    return nearest_pairs(model_for(run), get_evaluator(dataset), n=1000, k=8)


@st.cache_data(ttl=600, show_spinner=False)
def inception_offered() -> bool:
    from genlib.metrics.inception import available

    return available()


def metric_bars(rows: list[dict]):
    """One small bar panel per metric; each run one colour, named in the legend; real data in grey."""
    from plotly.subplots import make_subplots

    from genlib.metrics import METRICS

    keys = list(METRICS)
    fig = make_subplots(rows=2, cols=4, subplot_titles=[METRICS[k][0] for k in keys], vertical_spacing=0.16)
    palette = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
    for j, r in enumerate(rows):
        real = r["epoch"] is None
        name = "real data (held-out)" if real else f"{r['run']} (epoch {r['epoch']})"
        for i, k in enumerate(keys):
            fig.add_bar(
                x=[name],
                y=[r.get(k)],
                name=name,
                legendgroup=name,
                showlegend=i == 0,
                marker_color="#bbbbbb" if real else palette[j % len(palette)],
                row=i // 4 + 1,
                col=i % 4 + 1,
                hovertemplate=f"{name}: %{{y:.3f}}<extra></extra>",
            )
    fig.update_layout(
        height=520, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.08), bargap=0.15
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_annotations(font_size=12)
    return fig


def class_count_figure(result: dict):
    """Generated samples per predicted class for one run; conditional runs add label accuracy."""
    import plotly.graph_objects as go

    counts = result["scores"]["class_counts"]
    fig = go.Figure()
    fig.add_bar(x=[str(c) for c in range(len(counts))], y=counts, name="predicted")
    fig.add_hline(y=sum(counts) / len(counts), line_dash="dot", annotation_text="even share")
    title = result["run_id"][-24:]
    if "label_accuracy" in result["scores"]:
        title += f" — drawn as asked: {result['scores']['label_accuracy']:.0%}"
    fig.update_layout(
        title=title, height=240, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="class", yaxis_title="samples"
    )
    return fig


_NOT_METRICS = {"kind", "epoch", "step", "time", "seconds", "images_per_s", "n"}


def compare_metrics(runs) -> dict[str, dict[str, tuple[list, list]]]:
    """Per metric, per run: (epochs, values) from epoch and evaluation records.

    Metrics every run has come first (quality scores, then losses), so the default
    works across families (a VAE logs no ``d_fake``); the rest follow.
    """
    from genlib.metrics import METRICS

    per_run: dict[str, dict[str, tuple[list, list]]] = {}
    for run in runs:
        series: dict[str, tuple[list, list]] = {}
        for rec in run.metrics():
            if rec.get("kind") not in ("epoch", "eval"):
                continue
            for k, v in rec.items():
                if k not in _NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool):
                    xs, ys = series.setdefault(k, ([], []))
                    xs.append(rec["epoch"])
                    ys.append(v)
        per_run[run.id] = series
    names = {k for s in per_run.values() for k in s}
    shared = set.intersection(*(set(s) for s in per_run.values())) if per_run else set()

    def rank(k: str) -> tuple:
        quality = list(METRICS).index(k) if k in METRICS else len(METRICS)
        return (k not in shared, quality, not k.endswith("loss"), k)

    return {k: {rid: s[k] for rid, s in per_run.items() if k in s} for k in sorted(names, key=rank)}


def known_speed(model_json: str, batch: int, dataset: str, dataset_size: int) -> dict | None:
    """Seconds per epoch from a run of this exact config, else from an earlier measurement; else None."""
    import json

    from genlib.training.speed import cached_speed, from_history

    model = json.loads(model_json)
    return from_history(job_manager().store.list(), model, batch, dataset) or cached_speed(model, batch, dataset_size)


def measure_speed(config: dict, dataset: str) -> None:
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
