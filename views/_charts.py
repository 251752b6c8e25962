"""Plotly figures the pages share: curves over training, metric bars, class counts, comparisons (and the
table of settings that differ between compared runs)."""

from __future__ import annotations

import json

# Curves over training (losses, quality): the legend sits below the x-axis title.
CURVE_LAYOUT = dict(height=280, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.3))


# How each kind of logged value is charted: which chart, and its title.
_CHART_OF_KIND = {
    "loss": "loss",
    "penalty": "loss",
    "probability": "judged",
    "accuracy": "judged",
    "score": "critic",
}


def loss_figures(series: dict, keys: dict[str, tuple[str, str]]):
    """Plotly figures of what a model logs per step, one per kind of value (``Run.log_keys``):
    losses and penalties; D's probabilities and accuracy (0-1); a critic's unbounded scores.

    ``series`` holds arrays: "step", "epoch" and one per logged value (``genlib.runs.feed.decimate``).
    """
    import plotly.graph_objects as go

    epochs = series["epoch"].round().astype(int) if "epoch" in series else None
    charts: dict[str, list[str]] = {}
    for k, (kind, _label) in keys.items():
        if k in series and kind in _CHART_OF_KIND:
            charts.setdefault(_CHART_OF_KIND[kind], []).append(k)
    has_penalty = any(keys[k][0] == "penalty" for k in charts.get("loss", []))
    has_probability = any(keys[k][0] == "probability" for k in charts.get("judged", []))
    titles = {
        "loss": "loss and penalties" if has_penalty else "loss",
        "judged": "D(x), D(G(z)) and D's accuracy" if has_probability else "discriminator accuracy",
        "critic": "critic scores (higher: judged real)",
    }
    figures = []
    for chart in ("loss", "judged", "critic"):
        if chart not in charts:
            continue
        fig = go.Figure()
        for k in charts[chart]:
            fig.add_scatter(
                x=series["step"],
                y=series[k],
                mode="lines",
                name=keys[k][1],  # what it is, in words; the key is in the hover
                customdata=epochs,
                hovertemplate=k + "<br>epoch %{customdata}<br>%{y:.4f}<extra></extra>",
            )
        fig.update_layout(CURVE_LAYOUT, title=titles[chart], xaxis_title="step")
        if chart == "judged":
            fig.update_yaxes(range=[-0.02, 1.02])
        figures.append(fig)
    return figures


def quality_figures(evals, baseline: dict | None = None):
    """Metrics over training: FID on its own axis, and the 0-1 scores together; real data dashed.

    ``evals`` is a list of evaluation records, or arrays by key with "epoch" (``decimate``).
    """
    import numpy as np
    import plotly.graph_objects as go

    if isinstance(evals, list):
        keys = ("epoch", "fid", "coverage", "precision", "recall")
        evals = {k: np.array([r.get(k, np.nan) for r in evals], dtype=float) for k in keys}
    epochs = evals["epoch"]
    layout = dict(CURVE_LAYOUT, xaxis_title="epoch")
    fid = go.Figure(layout=layout)
    fid.add_scatter(x=epochs, y=evals["fid"], mode="lines+markers", name="FID")
    fid.update_layout(title="FID ↓")  # short: the chart toolbar shares the title row on a phone

    shares = go.Figure(layout=layout)
    for key in ("coverage", "precision", "recall"):
        shares.add_scatter(x=epochs, y=evals[key], mode="lines+markers", name=key)
    shares.update_layout(title="scores ↑", yaxis_range=[0, 1.05])
    if baseline:
        fid.add_hline(y=baseline["fid"], line_dash="dash", annotation_text="real data")
    if len(epochs) and max(epochs) <= 12:  # whole epochs only on short runs
        for fig in (fid, shares):
            fig.update_xaxes(dtick=1)
    return fid, shares


def metric_bars(rows: list[dict]):
    """One small bar panel per metric; each run one colour, named in the legend; real data in grey."""
    from plotly.subplots import make_subplots

    from genlib.metrics import METRICS

    keys = list(METRICS)
    short = {"fid": "FID ↓", "inception_score": "IS ↑", "coverage": "Coverage ↑", "balance": "Balance ↑"}
    titles = [short.get(k, METRICS[k][0]) for k in keys]  # four panels a row fit a phone only if short
    fig = make_subplots(rows=2, cols=4, subplot_titles=titles, vertical_spacing=0.16)
    palette = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
    for j, r in enumerate(rows):
        real = r["epoch"] is None
        name = "real data (held-out half)" if real else f"{r['run']} (epoch {r['epoch']})"
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
        height=540, margin=dict(l=10, r=10, t=70, b=10), legend=dict(orientation="h", y=-0.08), bargap=0.15
    )
    fig.update_xaxes(showticklabels=False)
    fig.update_annotations(font_size=12)
    return fig


def class_count_figure(result: dict, class_names: list[str] | None = None):
    """Generated samples per predicted class for one run (the page names the run above it)."""
    import plotly.graph_objects as go

    counts = result["scores"]["class_counts"]
    names = class_names if class_names and len(class_names) == len(counts) else [str(c) for c in range(len(counts))]
    fig = go.Figure()
    fig.add_bar(x=names, y=counts, name="predicted", hovertemplate="%{x}: %{y} samples<extra></extra>")
    fig.add_hline(y=sum(counts) / len(counts), line_dash="dot", annotation_text="even share")
    fig.update_layout(
        height=260,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title="class", type="category"),
        yaxis_title="samples",
    )
    return fig


_NOT_METRICS = {"kind", "epoch", "step", "time", "seconds", "images_per_s", "n"}


def compare_metrics(runs) -> dict[str, dict[str, tuple[list, list]]]:
    """Per metric, per run: (epochs, values) from epoch and evaluation records.

    Metrics every run has come first (quality scores, then losses), so the default
    works across families (a VAE logs no ``d_fake``); the rest follow.
    """
    from genlib.metrics import METRICS

    # A key that means different things in different runs (d_fake: a probability under BCE, a
    # critic's score under hinge or WGAN) becomes one metric per meaning, never one axis for both.
    kinds = {run.id: run.log_keys() for run in runs}
    meanings: dict[str, set] = {}
    for keys in kinds.values():
        for k, (kind, _label) in keys.items():
            meanings.setdefault(k, set()).add(kind)

    def metric_name(run_id: str, k: str) -> str:
        if len(meanings.get(k, ())) > 1:
            return f"{k} ({kinds[run_id][k][0]})" if k in kinds[run_id] else k
        return k

    per_run: dict[str, dict[str, tuple[list, list]]] = {}
    for run in runs:
        series: dict[str, tuple[list, list]] = {}
        for rec in run.metrics():
            if rec.get("kind") not in ("epoch", "eval"):
                continue
            for k, v in rec.items():
                if k not in _NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool):
                    xs, ys = series.setdefault(metric_name(run.id, k), ([], []))
                    xs.append(rec["epoch"])
                    ys.append(v)
        per_run[run.id] = series
    names = {k for s in per_run.values() for k in s}
    shared = set.intersection(*(set(s) for s in per_run.values())) if per_run else set()

    def rank(k: str) -> tuple:
        quality = list(METRICS).index(k) if k in METRICS else len(METRICS)
        return (k not in shared, quality, not k.endswith("loss"), k)

    return {k: {rid: s[k] for rid, s in per_run.items() if k in s} for k in sorted(names, key=rank)}


def settings_that_differ(runs: list):
    """One row per training or model setting whose value is not the same in every run (ids and
    bookkeeping left out), one column per run; None when they share every setting."""
    import pandas as pd

    from genlib.config import field_label
    from views._ui import short_name

    configs = [r.read_config() for r in runs]
    values = {
        r.id: {**{f"model.{k}": v for k, v in c.get("model", {}).items()}, **c.get("train", {})}
        for r, c in zip(runs, configs, strict=True)
    }
    names = sorted({k for v in values.values() for k in v} - {"title", "resume"})
    headers = [short_name(r.summary()) for r in runs]
    rows = []
    for name in names:
        row = [values[r.id].get(name, "—") for r in runs]
        if any(json.dumps(x, sort_keys=True) != json.dumps(row[0], sort_keys=True) for x in row[1:]):
            label = field_label(name.removeprefix("model."))
            rows.append({"setting": label, **{h: _cell(x) for h, x in zip(headers, row, strict=True)}})
    return pd.DataFrame(rows) if rows else None


def _cell(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
