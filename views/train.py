"""Train: start, watch, stop and resume jobs. Each job runs in its own process."""

import time

import streamlit as st

from genlib import paths
from genlib.choices import TRAIN_FIELDS
from genlib.config import field_label
from genlib.errors import GenlibError, RunError
from genlib.metrics import METRICS
from views._auth import current_user, presenter_password
from views._live import live_view
from views._state import choices, flash, guard, note_watcher, refresh_interval, seed_widget, select_run, set_choices
from views._ui import (
    config_error_text,
    dataset_stats,
    field_help,
    headline,
    job_manager,
    metric_delta_text,
    metric_text,
    only_owner_text,
    others_training,
    plotly_chart,
    run_picker,
    show_findings,
)

st.title("Train")
jobs = job_manager()


def set_train_field(name: str) -> None:
    value = st.session_state[f"train_{name}"]
    if value is None:  # a segmented control clicked off: keep the choice
        st.session_state[f"train_{name}"] = choices().train_values()[name]
        return
    set_choices(choices().with_train_field(name, value))


def start() -> None:
    """Queue a run of the session's choices and show it; a bad choice is a message, nothing is created."""
    try:
        run = jobs.start(choices().build(), user=current_user(), title=st.session_state.get("run_title", ""))
    except GenlibError as exc:
        flash(f"Could not start: {exc}", "warning")
        return
    select_run(run.id)
    st.session_state["run_title"] = ""
    position = jobs.position(run.id)
    flash(f"Queued **{run.id}**" + (f", number {position} in line." if position and position > 1 else "."), "toast")


def training_options(values: dict) -> None:
    """Early stopping, sampling cadence and grid size, TensorBoard logs, and the run to warm-start from."""
    c1, c2, c3 = st.columns(3)
    for col, name in ((c1, "early_stopping"), (c2, "sample_every")):
        seed_widget(f"train_{name}", values[name])
        col.number_input(
            field_label(name) + (" (evaluations)" if name == "early_stopping" else " (steps)"),
            min_value=0,
            key=f"train_{name}",
            help=field_help(name),
            on_change=set_train_field,
            args=(name,),
        )
    seed_widget("train_grid_size", values["grid_size"])
    c3.segmented_control(
        "Images per grid",
        [16, 64],
        key="train_grid_size",
        help=field_help("grid_size"),
        on_change=set_train_field,
        args=("grid_size",),
    )
    seed_widget("train_tensorboard", values["tensorboard"])
    st.toggle(
        "Write TensorBoard logs",
        key="train_tensorboard",
        help=field_help("tensorboard") + f"  \nView every run's logs with `tensorboard --logdir {paths.runs_dir()}`.",
        on_change=set_train_field,
        args=("tensorboard",),
    )
    family = choices().family
    sources = (
        [
            r
            for r in jobs.store.list()
            if r.read_config().get("train", {}).get("family") == family and r.trained_model_path()
        ]
        if family
        else []
    )
    ids = ["", *[r.id for r in sources]]
    current = values["warm_start"] if values["warm_start"] in ids else ""
    seed_widget("train_warm_start", current)
    w1, w2 = st.columns([3, 2])
    w1.selectbox(
        "Warm start from",
        ids,
        format_func=lambda i: "nothing (random weights)" if not i else i,
        key="train_warm_start",
        help=field_help("warm_start") + f"  \nRuns of the same family ({family}) with a trained model.",
        on_change=set_train_field,
        args=("warm_start",),
    )
    seed_widget("train_warm_start_parts", values["warm_start_parts"])
    w2.selectbox(
        "Copy",
        ["all", "generator", "discriminator"],
        key="train_warm_start_parts",
        help=field_help("warm_start_parts"),
        disabled=not current,
        on_change=set_train_field,
        args=("warm_start_parts",),
    )
    if values["warm_start"] and not current:  # deleted, or chosen for another family: a start would fail
        set_choices(choices().with_train_field("warm_start", ""))
        st.caption(
            f":material/info: Warm start from {values['warm_start']} was cleared: that run is gone "
            f"or is not a {family} run."
        )


user = current_user()
if not user.can_train:
    st.info(
        "You are watching: runs are started by the presenter"
        + (" or by attendees who join with a name (sidebar, **Sign in**)." if presenter_password() else "."),
        icon=":material/visibility:",
    )
# Open unless a job is running: then the page is for watching it.
with st.expander(
    "Start a new training job", expanded=user.can_train and not jobs.active(), icon=":material/play_arrow:"
):
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
    with st.expander("More options: early stopping, grids, TensorBoard, warm start", icon=":material/tune:"):
        training_options(values)
    try:  # rules on sizes (attention, progressive) are judged at the dataset's size
        stats = dataset_stats(choices().dataset)
        shape, classes = stats.image_shape, len(stats.class_names or [])
    except GenlibError:  # not loadable here (offline, deleted): Start says why
        shape, classes = None, None
    problems = choices().problems(shape, classes)  # each named at once, not one per fix
    for exc in problems:
        st.error(config_error_text(exc), icon=":material/error:")
    patience, every, epochs = (values[k] for k in ("early_stopping", "eval_every", "epochs"))
    evaluations = epochs // every + (epochs % every > 0) if every else 0  # every N epochs, and the last
    if not problems and patience and every and evaluations <= patience:
        st.warning(
            f"**Early stopping** after {patience} evaluations without a better FID can never end this run: "
            f"{epochs} epochs with metrics every {every} give {evaluations} evaluation"
            f"{'' if evaluations == 1 else 's'}. Evaluate more often, or train longer, for it to act.",
            icon=":material/warning:",
        )
    st.text_input("Title (optional)", key="run_title", max_chars=80, placeholder="e.g. dcgan with a wider generator")
    st.button(
        "Start training",
        key="start_button",
        type="primary",
        disabled=bool(problems) or not user.can_train,
        on_click=start,
    )

run_id = run_picker("train_run")
if run_id is None:
    st.info("No runs yet: start one above.", icon=":material/info:")
    st.stop()


def progress_line(status: dict, epochs: int, position: int | None) -> tuple[float, str]:
    state = status.get("state")
    steps = status.get("steps_per_epoch") or 1
    done = status.get("epoch", 0) + status.get("step", 0) / steps
    finished = int(status.get("epoch") or 0)
    # while an epoch runs, name it (the trainer's log does too): epoch 1 step 5, not epoch 0
    current = finished + 1 if state == "running" and status.get("step") and finished < epochs else finished
    parts = [f"**{state}**", f"epoch {current}/{epochs}"]
    if position:
        parts[0] = "**queued**, next in line" if position == 1 else f"**queued**, number {position} in line"
    elif state == "queued":
        parts[0] = "**starting**"
    if state == "running":
        if status.get("step"):
            parts.append(f"step {status['step']}/{steps}")
        elif finished and not status.get("phase"):  # the epoch just ended: its grid and checkpoint being written
            parts.append("epoch done")
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


@st.fragment(run_every=refresh_interval())
@guard
def live(run_id: str) -> None:
    try:
        run = jobs.store.get(run_id)
        config = run.read_config()
    except RunError:
        st.warning(f"Run **{run_id}** was deleted (in another window?).", icon=":material/delete:")
        st.rerun()  # the whole page: the picker moves to a run that exists
    cfg = config["train"]
    status = run.status()
    state = status.get("state")
    position = jobs.position(run_id) if state == "queued" else None
    owner = config.get("owner")
    st.caption(f":material/person: {owner or 'unknown'}" + (f" · **{config['title']}**" if config.get("title") else ""))
    fraction, label = progress_line(status, cfg["epochs"], position)
    st.progress(fraction, text=label)
    others_training(run_id)
    if status.get("error"):
        st.error(status["error"], icon=":material/error:")
    if current_user().can_manage(owner):
        controls(
            run_id,
            state,
            waiting=bool(position),
            done=int(status.get("epoch") or 0),
            planned=cfg["epochs"],
            patience=cfg.get("early_stopping", 0),
        )
    elif state in ("queued", "running", "stopped", "interrupted", "failed"):
        st.caption(only_owner_text(owner, "stop or resume this run"))

    note_watcher()
    view = live_view(run, cfg["family"], state, status.get("error") or "")
    left, right = st.columns([3, 2])
    with left:
        if view["losses"]:
            for i, fig in enumerate(view["losses"]):
                plotly_chart(fig, key=f"live_chart_{i}")
        else:
            st.caption("Curves appear after the first steps.")
    with right:
        latest = run.latest_sample_path if run.latest_sample_path.is_file() else (run.sample_paths() or [None])[-1]
        if latest is not None:
            shown = status.get("grid_epoch") or status.get("epoch", 0)
            st.image(str(latest), caption=f"fixed latents, epoch {shown}", width="stretch")
        else:
            st.caption("The first sample grid appears when epoch 1 ends.")
    st.subheader("Health", divider="gray")
    show_findings(view["findings"])
    evals = view["evals"]
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
        for col, fig in zip(st.columns(2), view["quality"], strict=True):
            with col:
                plotly_chart(fig, key=f"quality_{fig.layout.title.text[:3]}")
        st.caption(f"Epoch {last['epoch']}, {last['n']:,} samples scored by the dataset's own classifier.")
    elif cfg.get("eval_every"):
        every = cfg["eval_every"]
        st.caption(
            f"Quality metrics are computed {'every epoch' if every == 1 else f'every {every} epochs'} "
            f"(fewer when they would take more than {cfg.get('eval_share', 0.1):.0%} of the time) and at the end."
        )
    if not position:  # a run waiting in line has no log yet
        live = state in ("running", "queued")
        with st.expander("Log", icon=":material/terminal:"):
            tail = run.log_tail(15 if live else 40)
            if tail or live:
                st.code(tail or "(starting)", language=None)
            else:  # a command-line run before logs were kept beside it
                st.caption("No log was kept with this run.")
            if tail and not live:  # read only when asked: a long run's log is megabytes
                st.download_button(
                    "Whole log",
                    data=lambda: _read_log(run),
                    file_name=f"{run.id}-log.txt",
                    mime="text/plain",
                    key=f"log_{run.id}",
                    icon=":material/download:",
                    on_click="ignore",
                )


def _read_log(run) -> bytes:
    try:
        return run.log_path.read_bytes()
    except FileNotFoundError:  # deleted in another window since
        return b""


def extend(run_id: str, key: str) -> None:
    try:
        jobs.resume(run_id, current_user(), epochs=int(st.session_state[key]))
    except GenlibError as exc:
        flash(f"Could not train further: {exc}", "warning")


def controls(
    run_id: str, state: str, waiting: bool = False, done: int = 0, planned: int = 1, patience: int = 0
) -> None:
    """Stop, Resume and train further, for the run's owner and the presenter (genlib checks the same rule)."""
    b1, b2, b3, _ = st.columns([1, 1, 1.4, 2.6])
    if state in ("queued", "running"):
        with b1.popover("Stop", icon=":material/stop:"):
            st.write(
                "Take this run out of the queue? **Resume** puts it back at the end of the line."
                if waiting
                else "Stop this run after the current step? Its last checkpoint is kept and it can be resumed."
            )
            if st.button("Yes, stop it", key="stop_button", type="primary"):
                jobs.stop(run_id, current_user())
                st.toast(
                    "Taken out of the queue."
                    if waiting
                    else "Stopping after the current step; the last checkpoint is kept."
                )
    if state in ("stopped", "interrupted", "failed") and b2.button(
        "Resume", key="resume_button", icon=":material/replay:"
    ):
        jobs.resume(run_id, current_user())
        st.rerun()
    if state in ("stopped", "interrupted", "failed", "completed"):
        with b3.popover("More epochs", icon=":material/add_circle:"):
            st.write(
                f"Continue from the last checkpoint (epoch {done}) to a new epoch count, with the same settings. "
                "To change anything else, start a new run with **Warm start** from this one."
                + (
                    f" Early stopping still applies: it ends again after {patience} evaluations without a "
                    "better FID (counted afresh)."
                    if patience
                    else ""
                )
            )
            st.number_input(
                "Train to epoch",
                min_value=done + 1,
                max_value=10_000,
                value=max(planned, done + 1) if state != "completed" else min(max(2 * done, done + 1), 10_000),
                key=f"extend_{run_id}_{done}",  # a new field when the run or its epoch changes
            )
            st.button(
                "Train to this epoch",
                key="extend_button",
                type="primary",
                on_click=extend,
                args=(run_id, f"extend_{run_id}_{done}"),
            )


live(run_id)
