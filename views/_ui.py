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
        fig.update_layout(
            height=280,
            margin=dict(l=10, r=10, t=30, b=10),
            title=title,
            xaxis_title="step",
            legend=dict(orientation="h", y=-0.3),
        )
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


def model_for(run) -> object | None:
    path = run.model_dir / "model.keras"
    path = path if path.is_file() else run.checkpoint_path
    return run_model(run.id, path.stat().st_mtime if path.is_file() else 0.0)
