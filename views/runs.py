"""Runs: every run, side-by-side comparison, and deletion."""

import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from genlib.errors import GenlibError
from views._ui import RUN_ID, job_manager

st.title("Runs")
store = job_manager().store
runs = store.list()
if not runs:
    st.info("No runs yet: start one on the Train page.", icon=":material/info:")
    st.stop()

rows = []
for r in runs:
    s = r.summary()
    losses = s.get("losses", {})
    rows.append(
        {
            "run": s["run_id"],
            "status": s["state"],
            "dataset": s.get("dataset"),
            "family": s.get("family"),
            "epochs": f"{s.get('epoch', 0)}/{s.get('epochs')}",
            "final losses": "  ".join(f"{k} {v:.3f}" for k, v in losses.items() if "loss" in k or k == "kl"),
            "duration": time.strftime("%H:%M:%S", time.gmtime(s["duration_s"])) if s.get("duration_s") else "",
        }
    )
table = st.dataframe(
    pd.DataFrame(rows),
    hide_index=True,
    width="stretch",
    key="runs_table",
    on_select="rerun",
    selection_mode="multi-row",
)
selected = [rows[i]["run"] for i in table.selection.rows] if table and table.selection else []
st.caption("Select one run to open or delete it, two or more to compare them.")

if len(selected) == 1:
    c1, c2 = st.columns(2)
    if c1.button("Open in Gallery", key="open_run", icon=":material/photo_library:"):
        st.session_state[RUN_ID] = selected[0]
        st.switch_page("views/gallery.py")
    with c2.popover("Delete", icon=":material/delete:"):
        st.write(f"Delete **{selected[0]}** and all its files? This cannot be undone.")
        if st.button("Yes, delete it", key="confirm_delete", type="primary"):
            try:
                store.delete(selected[0])
                st.session_state.pop(RUN_ID, None)
                st.rerun()
            except GenlibError as exc:
                st.error(str(exc))

if len(selected) >= 2:
    st.subheader("Compare")
    chosen = [store.get(i) for i in selected]
    metric_names = sorted(
        {
            k
            for r in chosen
            for rec in r.metrics("epoch")[-1:]
            for k in rec
            if k not in ("kind", "epoch", "time", "seconds", "images_per_s")
        }
    )
    metric = st.selectbox("Metric", metric_names, key="compare_metric")
    fig = go.Figure()
    for r in chosen:
        records = r.metrics("epoch")
        fig.add_scatter(x=[x["epoch"] for x in records], y=[x.get(metric) for x in records], name=r.id, mode="lines")
    fig.update_layout(height=320, xaxis_title="epoch", yaxis_title=metric, margin=dict(l=10, r=10, t=10, b=10))
    st.plotly_chart(fig, key="compare_chart")
    cols = st.columns(len(chosen))
    for col, r in zip(cols, chosen, strict=True):
        last = r.sample_paths()[-1:]
        if last:
            col.image(str(last[0]), caption=f"{r.id} · {last[0].stem.replace('_', ' ')}", width="stretch")
