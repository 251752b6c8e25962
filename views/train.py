"""Train: start, watch, stop and resume jobs. Each job runs in its own process."""

import time

import streamlit as st

from genlib.choices import TRAIN_FIELDS
from genlib.config import field_label
from genlib.errors import ConfigError, GenlibError, RunError
from genlib.metrics import METRICS, diagnose
from genlib.models import get_family
from views._charts import loss_figures, quality_figures
from views._state import choices, flash, guard, seed_widget, select_run, set_choices
from views._ui import (
    config_error_text,
    field_help,
    headline,
    job_manager,
    metric_delta_text,
    metric_text,
    run_picker,
    show_findings,
)

st.title("Train")
jobs = job_manager()


def set_train_field(name: str) -> None:
    set_choices(choices().with_train_field(name, st.session_state[f"train_{name}"]))


def start() -> None:
    """Start a run of the session's choices and show it; a bad choice is a message, nothing is created."""
    try:
        run = jobs.start(choices().build())
    except GenlibError as exc:
        flash(f"Could not start: {exc}", "warning")
        return
    select_run(run.id)
    flash(f"Started **{run.id}**.", "toast")


# Open unless a job is running: then the page is for watching it.
with st.expander("Start a new training job", expanded=not jobs.active(), icon=":material/play_arrow:"):
    headline()
    st.caption("Change the dataset on the Data page and the model on the Model page; set the run's length here.")
    values = choices().train_values()
    for col, name in zip(st.columns(len(TRAIN_FIELDS)), TRAIN_FIELDS, strict=True):
        seed_widget(f"train_{name}", values[name])
        is_float = isinstance(values[name], float)
        col.number_input(
            field_label(name),
            key=f"train_{name}",
            help=field_help(name),
            step=1.0 if is_float else 1,
            format="%g" if is_float else "%d",
            on_change=set_train_field,
            args=(name,),
        )
    try:
        choices().train_config()
        choices().model_config()
        problem = None
    except ConfigError as exc:
        problem = config_error_text(exc)
        st.error(problem, icon=":material/error:")
    st.button("Start training", key="start_button", type="primary", disabled=problem is not None, on_click=start)

run_id = run_picker("train_run")
if run_id is None:
    st.info("No runs yet: start one above.", icon=":material/info:")
    st.stop()


def progress_line(status: dict, epochs: int) -> tuple[float, str]:
    state = status.get("state")
    steps = status.get("steps_per_epoch") or 1
    done = status.get("epoch", 0) + status.get("step", 0) / steps
    parts = [f"**{state}**", f"epoch {status.get('epoch', 0)}/{epochs}"]
    if state == "running":
        parts.append(f"step {status.get('step', 0)}/{steps}")
        if status.get("images_per_s"):
            parts.append(f"{status['images_per_s']:,.0f} images/s")
        eta = status.get("eta_s")
        if eta is not None:
            parts.append("ETA " + time.strftime("%H:%M:%S" if eta >= 3600 else "%M:%S", time.gmtime(eta)))
    if status.get("phase"):
        parts.append(status["phase"])
    if status.get("stopped_early"):
        parts.append(status["stopped_early"])
    return (1.0 if state == "completed" else min(done / epochs, 1.0)), " · ".join(parts)


@st.fragment(run_every="2s")
@guard
def live(run_id: str) -> None:
    try:
        run = jobs.store.get(run_id)
        cfg = run.read_config()["train"]
    except RunError:
        st.warning(f"Run **{run_id}** was deleted (in another window?).", icon=":material/delete:")
        st.rerun()  # the whole page: the picker moves to a run that exists
    status = run.status()
    state = status.get("state")
    fraction, label = progress_line(status, cfg["epochs"])
    st.progress(fraction, text=label)
    if status.get("error"):
        st.error(status["error"], icon=":material/error:")
    b1, b2, _ = st.columns([1, 1, 4])
    if state in ("queued", "running"):
        with b1.popover("Stop", icon=":material/stop:"):
            st.write("Stop this run after the current step? Its last checkpoint is kept and it can be resumed.")
            if st.button("Yes, stop it", key="stop_button", type="primary"):
                jobs.stop(run_id)
                st.toast("Stopping after the current step; the last checkpoint is kept.")
    if state in ("stopped", "interrupted", "failed") and b2.button(
        "Resume", key="resume_button", icon=":material/replay:"
    ):
        jobs.resume(run_id)
        st.rerun()

    records = run.metrics()  # read once per refresh: steps, epochs and evaluations
    left, right = st.columns([3, 2])
    with left:
        steps = [r for r in records if r["kind"] == "step"]
        if steps:
            for i, fig in enumerate(loss_figures(steps, get_family(cfg["family"]).loss_names)):
                st.plotly_chart(fig, key=f"live_chart_{i}")
        else:
            st.caption("Curves appear after the first steps.")
    with right:
        samples = run.sample_paths()
        if samples:
            st.image(str(samples[-1]), caption=f"fixed latents, {samples[-1].stem.replace('_', ' ')}", width="stretch")
        else:
            st.caption("The first sample grid appears when epoch 1 ends.")
    evals = [r for r in records if r["kind"] == "eval"]
    st.subheader("Health", divider="gray")
    show_findings(diagnose(records, status, adversarial="d_loss" in get_family(cfg["family"]).loss_names))
    if evals:
        st.subheader("Quality during training", divider="gray")
        last = evals[-1]
        previous = evals[-2] if len(evals) > 1 else None
        cols = st.columns(5)
        for col, key in zip(cols, ("fid", "inception_score", "coverage", "precision", "recall"), strict=True):
            col.metric(
                METRICS[key][0],
                metric_text(key, last[key], last),
                metric_delta_text(key, last, previous),
                delta_color="inverse" if key == "fid" else "normal",
                help=METRICS[key][1],
            )
        for col, fig in zip(st.columns(2), quality_figures(evals), strict=True):
            col.plotly_chart(fig, key=f"quality_{fig.layout.title.text[:3]}")
        st.caption(f"Epoch {last['epoch']}, {last['n']:,} samples scored by the dataset's own classifier.")
    elif cfg.get("eval_every"):
        st.caption(f"Quality metrics are computed every {cfg['eval_every']} epochs and at the end.")
    if state in ("running", "queued"):
        with st.expander("Log"):
            st.code(run.log_tail(15) or "(starting)")


live(run_id)
