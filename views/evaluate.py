"""Evaluate: quality metrics of trained runs side by side, against real data, with a memorisation check."""

import numpy as np
import pandas as pd
import streamlit as st

from genlib.errors import GenlibError
from genlib.images import make_grid
from genlib.metrics import METRICS, eval_is_current, stored_eval
from views._auth import current_user
from views._charts import class_count_figure, metric_bars
from views._state import RUN_ID, flash, guard, seed_widget
from views._ui import (
    closest_pairs,
    dataset_stats,
    inception_offered,
    job_manager,
    metric_text,
    model_stamp,
    plotly_chart,
    run_label,
    short_name,
    show_grid,
    task_queue,
)

st.title("Evaluate")
st.caption(
    "Every number is computed in the feature space of a small classifier trained on the run's own dataset "
    "(no downloads), the same way for every family, so runs can be compared. The held-out half of the real "
    "data is scored the same way: that row is the ceiling."
)
store = job_manager().store
runs = [r for r in store.list() if r.trained_model_path()]
if not runs:
    st.info("No trained runs yet: train one on the Train page.", icon=":material/info:")
    st.stop()

ids = [r.id for r in runs]
evaluated = [r.id for r in runs if stored_eval(r)]
default = [i for i in [st.session_state.get(RUN_ID)] if i in ids] or evaluated[:3] or ids[:1]
# Runs deleted since (here or in another window) drop out of the selection.
# Kept under keys of their own: Streamlit drops a widget's state when another page is shown.
kept = st.session_state.get("eval_runs_kept", default)
seed_widget("eval_runs", [i for i in kept if i in ids])
labels = {r.id: run_label(r.summary()) for r in runs}
chosen = st.multiselect(
    "Runs",
    ids,
    key="eval_runs",
    format_func=lambda i: labels.get(i, i),
    on_change=lambda: st.session_state.update(eval_runs_kept=st.session_state["eval_runs"]),
)
c1, c2, c3 = st.columns([1.2, 1.6, 0.8])
seed_widget("eval_samples", st.session_state.get("eval_samples_kept", 10_000))
n = c1.select_slider(
    "Samples per run",
    [1000, 2000, 5000, 10_000],
    key="eval_samples",
    on_change=lambda: st.session_state.update(eval_samples_kept=st.session_state["eval_samples"]),
)
which = c2.radio(
    "Model of each run",
    ["best", "last"],
    format_func={"best": "best (lowest FID in training)", "last": "last"}.get,
    horizontal=True,
    key="eval_which",
    help="Runs with metrics during training keep the model of their lowest FID; the others have only their last.",
)
force = c3.checkbox("Recompute", key="eval_force", help="Ignore stored results and compute again.")
user = current_user()
mine = [i for i in chosen if user.can_manage(store.get(i).owner)]
if st.button(
    "Compute metrics",
    key="eval_button",
    type="primary",
    disabled=not mine,
    help=None if user.can_train else "Viewers see stored results; the presenter or a run's owner computes them.",
):
    try:
        task = task_queue().submit_evaluate(user, mine, n, force, which=which)
        st.session_state["eval_task"] = task.id
    except GenlibError as exc:
        st.error(str(exc), icon=":material/error:")
if not user.can_train:
    st.caption("You see stored metrics; the presenter or a run's owner computes new ones.")
elif len(mine) < len(chosen):
    st.caption("Metrics are computed for your own runs; the others show what is stored.")


@st.fragment(run_every="1s")
@guard
def eval_progress(task_id: str) -> None:
    """The queued evaluation's progress (it runs in its own process); the page reloads when it ends."""
    try:
        status = task_queue().get(task_id).status()
    except GenlibError:
        st.session_state.pop("eval_task", None)
        return
    if status["state"] in ("queued", "running"):
        st.info(f"Computing metrics… {status.get('phase') or status['state']}", icon=":material/hourglass_top:")
        return
    st.session_state.pop("eval_task", None)
    if status["state"] != "completed":
        flash(f"Could not compute the metrics: {status.get('error')}", "warning")
    st.rerun()


if st.session_state.get("eval_task"):
    eval_progress(st.session_state["eval_task"])

results = [res for res in (stored_eval(store.get(i), which) for i in chosen) if res]
if not results:
    st.info("No metrics for these runs yet: press **Compute metrics**.", icon=":material/calculate:")
    st.stop()
if len({r["dataset"] for r in results}) > 1:
    st.warning("These runs use different datasets; their numbers are not comparable.", icon=":material/warning:")

baseline = results[0]["baseline"]
# Trained further (More epochs, or another window) since these numbers were computed: say so, not show them as now.
stale = {r["run_id"] for r in results if not eval_is_current(store.get(r["run_id"]), r, which)}
if stale:
    st.warning(
        f"{', '.join(labels.get(i, i) for i in sorted(stale))}: trained further since these numbers were computed "
        "(their columns say **out of date**). Press **Compute metrics** to score the model it has now.",
        icon=":material/update:",
    )


def model_word(r: dict) -> str:
    return (", best" if r.get("model_file") == "best.keras" else "") + (", out of date" if r["run_id"] in stale else "")


names = {r["run_id"]: short_name(store.get(r["run_id"]).summary()) for r in results}  # titles where runs have one
rows = [
    {"run": names[r["run_id"]], "family": r["family"], "epoch": f"{r['epoch']}{model_word(r)}", **r["scores"]}
    for r in results
]
rows.append({"run": "real data", "family": "—", "epoch": None, **baseline})
# One column per run (and the real data), one row per metric: fits the page for any run count.
table = pd.DataFrame(
    {
        "metric": [label for label, _ in METRICS.values()],
        **{
            row["run"] if row["epoch"] is None else f"{row['run']} ({row['family']}, epoch {row['epoch']})": [
                metric_text(k, row.get(k), row) for k in METRICS
            ]
            for row in rows
        },
    }
)
st.dataframe(table, hide_index=True, width="stretch", key="eval_table")
counts = sorted({r["n"] for r in results if r.get("n")})
if counts:
    st.caption(
        "Scored on "
        + " and ".join(f"{n:,}" for n in counts)
        + " generated samples per run"
        + (
            " (the runs differ: press **Compute metrics** with Recompute for a fair comparison)."
            if len(counts) > 1
            else "; the slider above applies to the next **Compute metrics**."
        )
    )
plotly_chart(metric_bars(rows), key="eval_bars")
with st.expander("What the numbers mean", icon=":material/help:"):
    st.markdown(
        f"The {results[0]['dataset']} evaluator classifies held-out images with "
        f"{results[0]['evaluator_accuracy']:.1%} accuracy.\n\n"
        + "\n".join(f"- **{label}**: {about}" for label, about in METRICS.values())
    )


def class_names(dataset: str) -> list[str] | None:
    try:
        return dataset_stats(dataset).class_names
    except GenlibError:  # the dataset was deleted since: numbers instead of names
        return None


st.subheader("Samples per class", divider="gray")
st.caption(
    "What the classifier calls each generated sample. A healthy model follows the real class mix; "
    "a missing bar is a lost class. Conditional models also show how often they draw the class they were asked for."
)
cols = st.columns(min(len(results), 3))
for i, r in enumerate(results):
    with cols[i % len(cols)]:
        asked = r["scores"].get("label_accuracy")
        st.caption(
            f"{names[r['run_id']]} ({r['family']}, epoch {r['epoch']})"
            + (f" · draws the class it is asked for {asked:.0%} of the time" if asked is not None else "")
        )
        plotly_chart(class_count_figure(r, class_names(r["dataset"])), key=f"classes_{r['run_id']}")

st.subheader("Closest to the training set", divider="gray")
st.caption(
    "The generated samples nearest to any training image (top) above that training image (bottom). "
    "Near-identical pairs mean the model copies; distances near the real data's typical distance are healthy."
)
pick = st.selectbox("Run", [r["run_id"] for r in results], key="nn_run", format_func=lambda i: labels.get(i, i))
run = store.get(pick)
fakes, neighbours, dist, typical = closest_pairs(pick, model_stamp(run, which), run.read_config()["train"]["dataset"])
show_grid(make_grid(np.concatenate([fakes, neighbours]), ncols=8))
st.caption(
    "Pixel distances: " + ", ".join(f"{d:.2f}" for d in dist) + f" (real held-out images: median {typical:.2f})."
)

if inception_offered():
    st.caption("Standard FID with InceptionV3 is available here: `python -m genlib eval RUN --inception`.")
else:
    st.caption(
        ":material/cloud_off: Standard FID (InceptionV3) needs its ImageNet weights from the internet; "
        "this machine cannot fetch them, so only the evaluator-based metrics are offered."
    )
