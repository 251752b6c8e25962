"""Gallery: a run's samples over time, interpolation, per-class rows, reconstructions, downloads."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from genlib import data, explore
from genlib.images import make_grid
from genlib.models import get_family
from views._ui import job_manager, loss_figures, model_for, run_picker, show_grid

st.title("Gallery")
run_id = run_picker("gallery_run")
if run_id is None:
    st.info("No runs yet: start one on the Train page.", icon=":material/info:")
    st.stop()
run = job_manager().store.get(run_id)
cfg = run.read_config()
samples = run.sample_paths()
if not samples:
    st.info("This run has no sample grids yet; the first appears when epoch 1 ends.", icon=":material/hourglass:")
    st.stop()

st.subheader("Samples by epoch")
st.caption("The same latent vectors at every epoch, so you can watch each sample take shape.")
left, right = st.columns([3, 2])
with left:
    records = run.metrics("step")
    figures = loss_figures(records, get_family(cfg["train"]["family"]).loss_names)
    event = st.plotly_chart(figures[0], key="gallery_chart", on_select="rerun", selection_mode="points")
    st.caption("Click a point on the curve to see that epoch's grid.")
    points = event.selection.points if event and event.selection else []
with right:
    epochs = [int(p.stem.split("_")[1]) for p in samples]
    clicked = int(points[0]["customdata"]) if points and "customdata" in points[0] else None
    if clicked in epochs:
        st.session_state["epoch_slider"] = clicked
    epoch = (
        st.select_slider("Epoch", epochs, value=st.session_state.get("epoch_slider", epochs[-1]), key="epoch_slider")
        if len(epochs) > 1
        else epochs[0]
    )
    st.image(str(run.sample_path(epoch)), caption=f"epoch {epoch}", width="stretch")
    st.download_button(
        "Download this grid (PNG)",
        run.sample_path(epoch).read_bytes(),
        file_name=f"{run.id}-epoch{epoch}.png",
        mime="image/png",
        key="grid_download",
    )

gif = explore.training_gif(run)
with st.expander("The whole training as an animation", icon=":material/animation:"):
    st.image(gif, caption=f"{len(samples)} epochs")
    st.download_button("Download GIF", gif, file_name=f"{run.id}.gif", mime="image/gif", key="gif_download")

model = model_for(run)
if model is None:
    st.stop()
ds = data.load_dataset(cfg["train"]["dataset"])

st.subheader("Latent interpolation")
c1, c2, c3 = st.columns(3)
seed_a = c1.number_input("From seed", 0, 10_000, 1, key="seed_a")
seed_b = c2.number_input("To seed", 0, 10_000, 2, key="seed_b")
label = None
if model.conditional:
    names = ds.class_names
    label = c3.selectbox("Class", range(model.config.num_classes), format_func=lambda i: names[i], key="interp_class")
show_grid(make_grid(explore.interpolate(model, int(seed_a), int(seed_b), 10, label), ncols=10, min_cell=48))

if model.conditional:
    st.subheader("One row per class")
    k = model.config.num_classes
    show_grid(make_grid(model.generate(labels=np.repeat(np.arange(k), 10), seed=7), ncols=10, min_cell=40))

real = ds.images[np.random.default_rng(0).choice(len(ds), 10, replace=False)]
pairs = explore.reconstructions(model, real)
if pairs is not None:
    st.subheader("Reconstructions")
    st.caption("Top: real images. Bottom: what the model rebuilds from their latent codes.")
    show_grid(make_grid(pairs, ncols=10, min_cell=48))
    subset = np.random.default_rng(1).choice(len(ds), min(2000, len(ds)), replace=False)
    coords = explore.latent_map(model, ds.images[subset])
    labels = ds.labels[subset] if ds.labels is not None else np.zeros(len(subset), int)
    fig = go.Figure(
        go.Scattergl(
            x=coords[:, 0],
            y=coords[:, 1],
            mode="markers",
            marker=dict(color=labels, colorscale="Turbo", size=5, showscale=True),
            text=[ds.class_names[i] if ds.class_names else "" for i in labels],
        )
    )
    fig.update_layout(
        height=420, title="Latent map (first two principal axes of the codes)", margin=dict(l=10, r=10, t=40, b=10)
    )
    st.plotly_chart(fig, key="latent_map")

generator = run.model_dir / "generator.keras"
if generator.is_file():
    st.download_button(
        "Download the trained generator (.keras)",
        generator.read_bytes(),
        file_name=f"{run.id}-generator.keras",
        key="generator_download",
    )
