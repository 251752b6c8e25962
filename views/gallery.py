"""Gallery: a run's samples over time, interpolation, per-class rows, reconstructions, downloads, exports."""

import streamlit as st

from genlib.errors import GenlibError, RunError
from views._export import export_section
from views._gallery import (
    class_rows,
    epoch_loss_figure,
    gif_path,
    interpolation_grid,
    latent_map_figure,
    reconstruction_grid,
    run_dataset,
)
from views._state import guard
from views._ui import (
    charts_after_paint,
    job_manager,
    model_choice,
    model_for,
    model_stamp,
    plotly_chart,
    run_picker,
    show_grid,
)

GRID_WIDTH = 360  # px: step grids and the animation at about the epoch grid's size beside the curves

st.title("Gallery")
run_id = run_picker("gallery_run")
if run_id is None:
    st.info("No runs yet: start one on the Train page.", icon=":material/info:")
    st.stop()
run = job_manager().store.get(run_id)
cfg = run.read_config()
if not run.sample_paths():
    st.info("This run has no sample grids yet; the first appears when epoch 1 ends.", icon=":material/hourglass:")
    st.stop()


def grid_epochs(run) -> list[int]:
    return [int(p.stem.split("_")[1]) for p in run.sample_paths()]


def half_size_until(run, status: dict) -> int:
    """The last epoch a progressive run trained at half size (0 for other runs)."""
    if status.get("grown_at"):
        return int(status["grown_at"]) - 1
    side = run.read_config()["model"]["image_shape"][0]
    return int(status.get("epoch") or 0) if status.get("trained_side", side) < side else 0


def epoch_caption(run, epoch: int) -> str:
    status = run.raw_status()
    text = f"epoch {epoch}"
    if epoch <= half_size_until(run, status):
        side = run.read_config()["model"]["image_shape"][0] // 2
        text += f" · progressive stage 1: trained at {side}×{side}, shown enlarged"
    elif status.get("grown_at"):
        text += " · stage 2: full size"
    best = run.best(status)
    if best and best["epoch"] == epoch:
        text += f" · best FID ({best['fid']:.1f})"
    return text


@st.fragment
@guard
def epoch_grid(run_id: str) -> None:
    """The epoch slider and its grid: a slider step reruns only this, not the page."""
    try:
        run = job_manager().store.get(run_id)
    except RunError:
        st.rerun()
    epochs = grid_epochs(run)
    key = f"epoch_{run_id}"  # one per run, so switching runs never carries an epoch across
    if st.session_state.get(key) not in epochs:
        st.session_state[key] = epochs[-1] if epochs else None
    if not epochs:
        st.rerun()
    epoch = st.select_slider("Epoch", epochs, key=key) if len(epochs) > 1 else epochs[0]
    path = run.sample_path(epoch)
    if not path.is_file():  # thinned or deleted since the list was read
        st.rerun()
    st.image(str(path), caption=epoch_caption(run, epoch), width="stretch")
    st.download_button(  # read when clicked: a page view sends no file
        "Download this grid (PNG)",
        path.read_bytes,
        file_name=f"{run.id}-epoch{epoch}.png",
        mime="image/png",
        key="grid_download",
    )


st.subheader("Samples by epoch")
grid_every = cfg["train"].get("grid_every_s", 0)
st.caption(
    "The same latent vectors at every epoch, so you can watch each sample take shape."
    + (
        f" Grids are kept for the first 10 epochs, the last and each new best FID, and otherwise at most "
        f"every {grid_every:g} s of training (fewer past epoch 100), so short epochs skip some."
        if grid_every
        else ""
    )
)
left, right = st.columns([3, 2])
chart_key = f"gallery_chart_{run_id}"
# A click on the chart comes back through its key, read before the slider is drawn: the grid is
# drawn first, and the chart may come a round trip later (views/_ui.py, charts_after_paint).
chart_state = st.session_state.get(chart_key)
points = chart_state.selection.points if chart_state and chart_state.selection else []
clicked = points[0].get("x") if points else None
kept = grid_epochs(run)
if clicked is not None and kept and clicked != st.session_state.get(f"clicked_{run_id}"):
    st.session_state[f"clicked_{run_id}"] = clicked  # a click moves the slider once
    nearest = min(kept, key=lambda e: (abs(e - clicked), e))  # epochs without a grid show the closest kept one
    st.session_state[f"epoch_{run_id}"] = nearest
    if nearest != clicked:
        st.toast(f"No grid was kept for epoch {clicked}; showing epoch {nearest}.", icon=":material/grid_view:")
with right:
    epoch_grid(run_id)
with left:
    charts_after_paint(
        lambda: plotly_chart(epoch_loss_figure(run), key=chart_key, on_select="rerun", selection_mode="points"),
        "Drawing the loss curve…",
    )
    st.caption("Click a point on the curve to see that epoch's grid.")

steps = [int(p.stem[5:]) for p in run.step_sample_paths()]
if steps:
    every = cfg["train"].get("sample_every")
    with st.expander(f"Grids every {every} steps ({len(steps)} kept)", icon=":material/grid_view:"):
        step = st.select_slider("Step", steps, value=steps[-1], key=f"step_{run_id}") if len(steps) > 1 else steps[0]
        path = run.step_sample_path(step)
        if path.is_file():
            per_epoch = max(run.raw_status().get("steps_per_epoch") or 1, 1)
            st.image(str(path), caption=f"step {step:,} (epoch {1 + (step - 1) // per_epoch})", width=GRID_WIDTH)

if st.toggle("Show the whole training as an animation", key="show_gif"):
    gif = gif_path(run_id, len(run.sample_paths()))
    st.image(str(gif), caption=f"the {len(run.sample_paths())} kept grids, one frame each", width=GRID_WIDTH)
    st.download_button("Download GIF", gif.read_bytes, file_name=f"{run.id}.gif", mime="image/gif", key="gif_download")

st.subheader("Explore the trained model")
which = model_choice(run, f"gallery_model_{run_id}")
model = model_for(run, which)
if model is None:
    st.stop()
stamp = model_stamp(run, which)
st.caption(f"Sampling from the model of epoch {int(model.trained_epochs.numpy())}.")

st.subheader("Latent interpolation")
c1, c2, c3 = st.columns(3)
seed_a = int(c1.number_input("From seed", 0, 10_000, 1, key="seed_a"))
seed_b = int(c2.number_input("To seed", 0, 10_000, 2, key="seed_b"))
label = None
try:
    ds = run_dataset(cfg["train"]["dataset"])
except GenlibError as exc:
    ds = None
    st.caption(f":material/info: {exc}. Views that need the training images are left out.")
if model.conditional and ds is not None:
    names = ds.class_names
    label = c3.selectbox("Class", range(model.config.num_classes), format_func=lambda i: names[i], key="interp_class")
show_grid(interpolation_grid(run.id, stamp, seed_a, seed_b, label))

if model.conditional:
    st.subheader("One row per class")
    st.caption("Each row asks the generator for one class; the same latent vectors in every row.")
    show_grid(class_rows(run.id, stamp, tuple(ds.class_names) if ds is not None else None))

if ds is not None and hasattr(model, "reconstruct"):
    st.subheader("Reconstructions")
    st.caption("Top: real images. Bottom: what the model rebuilds from their latent codes.")
    show_grid(reconstruction_grid(run.id, stamp, cfg["train"]["dataset"]))
    charts_after_paint(
        lambda: plotly_chart(latent_map_figure(run.id, stamp, cfg["train"]["dataset"]), key="latent_map"),
        "Drawing the latent map…",
    )


def sampling_network_bytes(run_id: str, which: str) -> bytes:
    """The chosen model's generator (or decoder) as a .keras file, written when the button is clicked."""
    import tempfile
    from pathlib import Path

    net = model_for(job_manager().store.get(run_id), which).sampling_network
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generator.keras"
        net.save(path)
        return path.read_bytes()


epoch_note = f"epoch {int(model.trained_epochs.numpy())}"
st.download_button(
    f"Download this model's generator (.keras, {which}, {epoch_note})",
    lambda: sampling_network_bytes(run_id, which),
    file_name=f"{run.id}-{which}-generator.keras",
    key="generator_download",
)
export_section(run, which, int(model.trained_epochs.numpy()))
