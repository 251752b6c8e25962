"""Shared state keys, cached loaders and widgets for the pages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from genlib import data
from genlib.images import make_grid
from genlib.runs import JobManager, RunStore

# Session-state keys shared between pages.
DATASET = "dataset"
FAMILY = "family"
PRESET = "preset"
MODEL_FIELDS = "model_fields"  # dict of the Model page's field values
RUN_ID = "run_id"  # the run the Train and Gallery pages show


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


@st.cache_data(max_entries=16)
def dataset_stats(name: str):
    return data.compute_stats(data.load_dataset(name))


@st.cache_data(max_entries=16)
def dataset_grid(name: str, n: int = 64, seed: int = 0) -> np.ndarray:
    ds = data.load_dataset(name)
    idx = np.random.default_rng(seed).choice(len(ds), size=min(n, len(ds)), replace=False)
    return make_grid(ds.images[np.sort(idx)], ncols=16)


def show_grid(array: np.ndarray, caption: str | None = None, width: int | str = "stretch") -> None:
    st.image(array[..., 0] if array.shape[-1] == 1 else array, caption=caption, width=width, clamp=True)


def current_dataset() -> str:
    return st.session_state.get(DATASET, data.DEFAULT_DATASET)


def sidebar() -> None:
    info = device_info()
    with st.sidebar:
        device = info["device"]
        extra = ""
        if "gpu_memory_used" in info:
            extra = f" · {info['gpu_memory_used'] / 2**20:.0f} MB GPU memory in use"
        st.caption(f":material/memory: {info['backend']} on **{device}**{extra}")
        active = job_manager().active()
        running = sum(r.status().get("state") == "running" for r in active)
        queued = len(active) - running
        st.caption(f":material/model_training: {running} job(s) running, {queued} queued")


def newest_run_id(active_only: bool = False) -> str | None:
    runs = job_manager().active() if active_only else job_manager().store.list()
    return runs[0].id if runs else None


def run_picker(key: str, label: str = "Run") -> str | None:
    """Select a run (default: the one in session state, else the newest active, else the newest)."""
    ids = [r.id for r in job_manager().store.list()]
    if not ids:
        return None
    wanted = st.session_state.get(RUN_ID) or newest_run_id(active_only=True) or ids[0]
    choice = st.selectbox(label, ids, index=ids.index(wanted) if wanted in ids else 0, key=key)
    st.session_state[RUN_ID] = choice
    return choice


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


def field_help(name: str) -> str:
    """The help text a TrainConfig field declares, for widgets that set it."""
    from genlib.training import TrainConfig

    return next(f["help"] for f in TrainConfig.field_info() if f["name"] == name)


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
    """One small bar panel per metric, runs side by side, the real-data row in grey."""
    from plotly.subplots import make_subplots

    from genlib.metrics import METRICS

    keys = list(METRICS)
    fig = make_subplots(rows=2, cols=4, subplot_titles=[METRICS[k][0] for k in keys])
    palette = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
    for i, k in enumerate(keys):
        fig.add_bar(
            x=[r["run"][-12:] if r["epoch"] is not None else "real" for r in rows],
            y=[r.get(k) for r in rows],
            marker_color=[
                palette[j % len(palette)] if r["epoch"] is not None else "#bbbbbb" for j, r in enumerate(rows)
            ],
            row=i // 4 + 1,
            col=i % 4 + 1,
            showlegend=False,
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10))
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
