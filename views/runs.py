"""Runs: every run, side-by-side comparison, and deletion."""

import time

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from genlib.errors import GenlibError, RunGone
from genlib.metrics import METRICS
from genlib.models import family_title
from views._auth import current_user
from views._charts import CURVE_LAYOUT, compare_metrics, settings_that_differ
from views._export import csv_download
from views._state import RUN_ID, flash, guard, select_run, show_flashes
from views._ui import job_manager, only_owner_text, plotly_chart, short_name

st.title("Runs")
store = job_manager().store
if not store.list():
    st.info("No runs yet: start one on the Train page.", icon=":material/info:")
    st.stop()


def delete_run(run_id: str) -> None:
    """Delete the run named when the dialog was drawn, once; a second click finds it gone."""
    try:
        store.delete(run_id, current_user())
    except RunGone:
        flash(f"**{run_id}** no longer exists (deleted in another window?).", "warning")
        if st.session_state.get(RUN_ID) == run_id:
            select_run(None)
        return
    except GenlibError as exc:
        flash(f"Not deleted: {exc}", "warning")
        return
    if st.session_state.get(RUN_ID) == run_id:
        select_run(None)
    flash(f"Deleted **{run_id}**.")


# The list refreshes itself every 10 s (status, epochs, runs deleted or started elsewhere, also from the
# command line); a refresh costs two stats per finished run (Run.summary's cache).
@st.fragment(run_every="10s")
@guard
def runs_view() -> None:
    show_flashes()  # what a delete inside this fragment reported
    runs = store.list()
    in_line = {r.id: i for i, r in enumerate(job_manager().queue(), 1)}
    rows = []
    for r in runs:
        s = r.summary()
        losses = s.get("losses", {})
        kinds = s.get("log_keys", {})
        rows.append(
            {
                "run": s["run_id"],
                "title": s.get("title", ""),
                "owner": s.get("owner") or "",
                "status": f"queued, #{in_line[s['run_id']]} in line" if s["run_id"] in in_line else s["state"],
                "dataset": s.get("dataset"),
                "family": family_title(s.get("family") or ""),
                "preset": (s.get("preset") or "") + changes_count(s.get("changes") or []),
                "epochs": f"{s.get('epoch', 0)}/{s.get('epochs')}",
                "final losses": "  ".join(
                    f"{k} {v:.3f}" for k, v in losses.items() if kinds.get(k, ("",))[0] in ("loss", "penalty")
                ),
                "duration": time.strftime("%H:%M:%S", time.gmtime(s["duration_s"])) if s.get("duration_s") else "",
            }
        )
    # A new table key whenever the list of runs changes (a delete here or elsewhere, a new
    # run): a selection is kept by row number, which would then point at other runs.
    ids = [row["run"] for row in rows]
    if st.session_state.get("runs_table_ids", ids) != ids:
        st.session_state["runs_table_version"] = st.session_state.get("runs_table_version", 0) + 1
    st.session_state["runs_table_ids"] = ids
    version = st.session_state.setdefault("runs_table_version", 0)
    frame = pd.DataFrame(rows)
    # Columns no run fills (no titles, no owners on a one-person server) only take width.
    frame = frame[[c for c in frame.columns if c == "run" or frame[c].astype(str).str.len().gt(0).any()]]
    table = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key=f"runs_table_{version}",
        on_select="rerun",
        selection_mode="multi-row",
    )
    picked = table.selection.rows if table and table.selection else []
    selected = [rows[i]["run"] for i in picked if i < len(rows)]
    st.caption("Select one run to open or delete it, two or more to compare them.")

    if len(selected) == 1:
        c1, c3, c2 = st.columns(3)
        if c1.button("Open in Gallery", key="open_run", icon=":material/photo_library:"):
            select_run(selected[0])
            st.switch_page("views/gallery.py")
        chosen_run = store.get(selected[0])
        with c3:
            csv_download(chosen_run, key=f"csv_{selected[0]}")
        owner, title = chosen_run.owner, chosen_run.read_config().get("title")
        changes = chosen_run.summary().get("changes")
        if changes:
            st.caption(":material/tune: Changed from its preset: " + ", ".join(changes) + ".")
        if chosen_run.status().get("state") in ("queued", "running"):
            c2.caption("Stop it on the Train page before deleting it.")
        elif not current_user().can_manage(owner):
            c2.caption(only_owner_text(owner, "delete it"))
        else:
            with c2.popover("Delete", icon=":material/delete:"):
                whose = f" ({owner}'s" + (f", “{title}”" if title else "") + ")" if owner else ""
                st.write(f"Delete **{selected[0]}**{whose} and all its files? This cannot be undone.")
                st.button(
                    "Yes, delete it", key="confirm_delete", type="primary", on_click=delete_run, args=(selected[0],)
                )

    if len(selected) >= 2:
        st.subheader("Compare")
        chosen = [store.get(i) for i in selected]
        series = compare_metrics(chosen)  # {metric: {run_id: (epochs, values)}}
        names = list(series)
        datasets = {r.read_config()["train"]["dataset"] for r in chosen}
        if len(datasets) > 1:
            st.warning(
                f"These runs use different datasets ({', '.join(sorted(datasets))}): quality scores are measured "
                "by each dataset's own classifier and are not comparable.",
                icon=":material/warning:",
            )
        metric = st.selectbox(
            "Metric",
            names,
            key="compare_metric",
            format_func=lambda k: METRICS[k][0] if k in METRICS else k,
            help="Metrics that every chosen run has come first.",
        )
        fig = go.Figure()
        names = {r.id: short_name(r.summary()) for r in chosen}
        for run_id, (epochs, values) in series[metric].items():
            name = names[run_id]
            fig.add_scatter(x=epochs, y=values, name=name, mode="lines+markers", marker_size=5)
        fig.update_layout(
            CURVE_LAYOUT,
            height=360,
            xaxis_title="epoch",
            xaxis_dtick=1 if max((max(e, default=1) for e, _ in series[metric].values()), default=1) <= 12 else None,
            yaxis_title=METRICS[metric][0] if metric in METRICS else metric,
        )
        plotly_chart(fig, key="compare_chart")
        differing = settings_that_differ(chosen)
        if differing is not None:
            st.markdown("**Settings that differ**")
            height = min(35 * (len(differing) + 1) + 3, 600)  # every row in view, up to about 16
            st.dataframe(differing, hide_index=True, width="stretch", height=height, key="compare_settings")
        cols = st.columns(len(chosen))
        for col, r in zip(cols, chosen, strict=True):
            if r.latest_sample_path.is_file():
                epoch = r.raw_status().get("epoch", 0)
                col.image(str(r.latest_sample_path), caption=f"{names[r.id]} · epoch {epoch}", width="stretch")


def changes_count(changes: list[str]) -> str:
    return f" + {len(changes)} change{'s' if len(changes) > 1 else ''}" if changes else ""


runs_view()
