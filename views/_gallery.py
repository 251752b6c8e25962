"""The Gallery's views of a run, each cached per (run, model file) so a rerun redraws without recomputing."""

from __future__ import annotations

import numpy as np
import streamlit as st

from genlib import data
from genlib.images import make_grid
from views._charts import CURVE_LAYOUT
from views._ui import job_manager, run_model


# -- Gallery: each view cached per (run, model file), so a rerun redraws without recomputing --
def run_dataset(name: str):
    """A run's dataset; DatasetError (a message) if it was deleted since."""
    return data.load_dataset(name)


MAX_CURVE_POINTS = 500  # a curve sent to the browser has at most this many points per trace


def epoch_loss_figure(run):
    """Epoch-mean losses with a marker per epoch (clickable); rebuilt only when metrics.jsonl grows.

    Cached as the figure's dict: a cached plotly Figure is validated again on every read (0.1 s).
    """
    size = run.metrics_path.stat().st_size if run.metrics_path.is_file() else 0
    return _epoch_loss_figure(run.id, size)


@st.cache_data(max_entries=16, show_spinner="Drawing the loss curve…")
def _epoch_loss_figure(run_id: str, metrics_size: int):
    import plotly.graph_objects as go

    run = job_manager().store.get(run_id)
    keys = run.log_keys()
    records = run.metrics("epoch")
    step = max(1, -(-len(records) // MAX_CURVE_POINTS))
    shown = records[::step] + ([records[-1]] if records and (len(records) - 1) % step else [])
    fig = go.Figure()
    for k, (kind, label) in keys.items():
        if kind == "loss":
            fig.add_scatter(
                x=[r["epoch"] for r in shown],
                y=[r.get(k) for r in shown],
                mode="lines+markers",
                marker_size=5,
                name=label,
                hovertemplate=k + "<br>epoch %{x}<br>%{y:.4f}<extra></extra>",
            )
    fig.update_layout(CURVE_LAYOUT, title="loss per epoch", xaxis_title="epoch", clickmode="event+select")
    if records and records[-1]["epoch"] <= 12:
        fig.update_xaxes(dtick=1)  # whole epochs only
    return fig.to_dict()


@st.cache_data(max_entries=8, show_spinner="Making the animation…")
def gif_path(run_id: str, n_grids: int):
    from genlib.explore import training_gif

    return training_gif(job_manager().store.get(run_id))


@st.cache_data(max_entries=32, show_spinner="Walking between two latent points…")
def interpolation_grid(
    run_id: str, stamp: tuple[str, float], seed_a: int, seed_b: int, label: int | None
) -> np.ndarray:
    from genlib.explore import interpolate

    model = run_model(run_id, stamp)
    return make_grid(interpolate(model, seed_a, seed_b, 10, label), ncols=10, min_cell=48)


@st.cache_data(max_entries=8, show_spinner="Drawing one row per class…")
def class_rows(run_id: str, stamp: tuple[str, float], class_names: tuple[str, ...] | None) -> np.ndarray:
    from genlib.images import label_rows

    model = run_model(run_id, stamp)
    k = model.config.num_classes
    grid = make_grid(model.generate(labels=np.repeat(np.arange(k), 10), seed=7), ncols=10, min_cell=40)
    return label_rows(grid, list(class_names or map(str, range(k))))


@st.cache_data(max_entries=8, show_spinner="Reconstructing real images…")
def reconstruction_grid(run_id: str, stamp: tuple[str, float], dataset: str) -> np.ndarray:
    from genlib.explore import reconstructions

    ds = data.load_dataset(dataset)
    pick = np.random.default_rng(0).choice(len(ds), 10, replace=False)
    labels = ds.labels[pick] if ds.labels is not None else None
    return make_grid(reconstructions(run_model(run_id, stamp), ds.images[pick], labels), ncols=10, min_cell=48)


@st.cache_data(max_entries=8, show_spinner="Mapping the latent space…")
def latent_map_figure(run_id: str, stamp: tuple[str, float], dataset: str):
    """The codes of 2,000 training images on their first two principal axes, one colour per class."""
    import plotly.graph_objects as go

    from genlib.explore import latent_map

    ds = data.load_dataset(dataset)
    subset = np.random.default_rng(1).choice(len(ds), min(2000, len(ds)), replace=False)
    coords = latent_map(
        run_model(run_id, stamp), ds.images[subset], ds.labels[subset] if ds.labels is not None else None
    )
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
