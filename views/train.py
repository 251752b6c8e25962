"""Train: start, watch, stop and resume jobs. Each job runs in its own process."""

import time

import streamlit as st

from genlib.errors import GenlibError
from genlib.metrics import METRICS, diagnose
from genlib.models import get_family, list_families, make_config
from genlib.training import TrainConfig, build_config
from views._ui import (
    FAMILY,
    MODEL_FIELDS,
    PRESET,
    current_dataset,
    field_help,
    job_manager,
    loss_figures,
    metric_text,
    quality_figures,
    run_picker,
    show_findings,
)

st.title("Train")
jobs = job_manager()

with st.expander("Start a new training job", expanded=not jobs.store.list(), icon=":material/play_arrow:"):
    families = list_families()
    family = st.session_state.get(FAMILY, families[0])
    preset = st.session_state.get(PRESET) or next(iter(get_family(family).presets))
    st.markdown(
        f"**{get_family(family).title}** (`{preset}`) on **{current_dataset()}** — "
        "change them on the Data and Model pages."
    )
    c1, c2, c3, c4, c5 = st.columns(5)
    epochs = c1.number_input("Epochs", 1, 10_000, 20, key="epochs")
    batch = c2.number_input("Batch size", 2, 4096, 128, key="batch_size")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="seed")
    eval_every = c4.number_input(
        "Metrics every N epochs", 0, 10_000, 5, key="eval_every", help=field_help("eval_every")
    )
    budget = c5.number_input("Time budget (s)", 0, 10**7, 0, key="time_budget", help=field_help("time_budget_s"))
    if st.button("Start training", key="start_button", type="primary"):
        try:
            model_cfg = make_config(family, preset, **st.session_state.get(MODEL_FIELDS, {}))
            train_cfg = TrainConfig(
                dataset=current_dataset(),
                family=family,
                preset=preset,
                epochs=int(epochs),
                batch_size=int(batch),
                seed=int(seed),
                eval_every=int(eval_every),
                time_budget_s=float(budget),
            )
            run = jobs.start(build_config(train_cfg, model_cfg))
        except GenlibError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            st.session_state["run_id"] = run.id
            st.toast(f"Started {run.id}")

run_id = run_picker("train_run")
if run_id is None:
    st.info("No runs yet: start one above.", icon=":material/info:")
    st.stop()


@st.fragment(run_every="2s")
def live(run_id: str) -> None:
    run = jobs.store.get(run_id)
    status = run.status()
    cfg = run.read_config()["train"]
    state = status.get("state")
    epochs, steps = cfg["epochs"], status.get("steps_per_epoch") or 1
    done = status.get("epoch", 0) + status.get("step", 0) / steps
    eta = status.get("eta_s")
    eta_text = time.strftime("%M:%S", time.gmtime(eta)) if eta else "--:--"
    label = (
        f"**{state}** · epoch {status.get('epoch', 0)}/{epochs} · step {status.get('step', 0)}/{steps} · "
        f"{status.get('images_per_s', 0):,.0f} images/s · ETA {eta_text}"
    )
    if status.get("phase"):
        label += f" · {status['phase']}"
    if status.get("stopped_early"):
        label += f" · {status['stopped_early']}"
    st.progress(1.0 if state == "completed" else min(done / epochs, 1.0), text=label)
    if status.get("error"):
        st.error(status["error"], icon=":material/error:")
    b1, b2, _ = st.columns([1, 1, 4])
    if state in ("queued", "running") and b1.button("Stop", key="stop_button", icon=":material/stop:"):
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
            st.caption("Compiling the training step; curves appear after the first steps.")
    with right:
        samples = run.sample_paths()
        if samples:
            st.image(str(samples[-1]), caption=f"fixed latents, {samples[-1].stem.replace('_', ' ')}", width="stretch")
        else:
            st.caption("The first sample grid appears when epoch 1 ends.")
    evals = [r for r in records if r["kind"] == "eval"]
    st.subheader("Health", divider="gray")
    show_findings(diagnose(records, status))
    if evals:
        st.subheader("Quality during training", divider="gray")
        last = evals[-1]
        cols = st.columns(5)
        for col, key in zip(cols, ("fid", "inception_score", "coverage", "precision", "recall"), strict=True):
            previous = evals[-2].get(key) if len(evals) > 1 else None
            delta = None if previous is None else last[key] - previous
            col.metric(
                METRICS[key][0],
                metric_text(key, last[key], last),
                None if delta is None else f"{delta:+.2f}",
                delta_color="inverse" if key == "fid" else "normal",
                help=METRICS[key][1],
            )
        for col, fig in zip(st.columns(2), quality_figures(evals), strict=True):
            col.plotly_chart(fig, key=f"quality_{fig.layout.title.text[:3]}")
        st.caption(f"Epoch {last['epoch']}, {last['n']:,} samples scored by the dataset's own classifier.")
    elif cfg.get("eval_every"):
        st.caption(f"Quality metrics appear every {cfg['eval_every']} epochs.")
    if state in ("running", "queued"):
        with st.expander("Log"):
            st.code(run.log_tail(15) or "(starting)")


live(run_id)
