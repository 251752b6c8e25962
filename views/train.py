"""Train: start, watch, stop and resume jobs. Each job runs in its own process."""

import time

import streamlit as st

from genlib.errors import GenlibError
from genlib.models import get_family, list_families, make_config
from genlib.training import TrainConfig, build_config
from views._ui import FAMILY, MODEL_FIELDS, PRESET, current_dataset, job_manager, loss_figures, run_picker

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
    c1, c2, c3 = st.columns(3)
    epochs = c1.number_input("Epochs", 1, 10_000, 20, key="epochs")
    batch = c2.number_input("Batch size", 2, 4096, 128, key="batch_size")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="seed")
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
    st.progress(min(done / epochs, 1.0), text=label)
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

    left, right = st.columns([3, 2])
    with left:
        records = run.metrics("step")
        if records:
            for i, fig in enumerate(loss_figures(records, get_family(cfg["family"]).loss_names)):
                st.plotly_chart(fig, key=f"live_chart_{i}")
        else:
            st.caption("Compiling the training step; curves appear after the first steps.")
    with right:
        samples = run.sample_paths()
        if samples:
            st.image(str(samples[-1]), caption=f"fixed latents, {samples[-1].stem.replace('_', ' ')}", width="stretch")
        else:
            st.caption("The first sample grid appears when epoch 1 ends.")
    if state in ("running", "queued"):
        with st.expander("Log"):
            st.code(run.log_tail(15) or "(starting)")


live(run_id)
