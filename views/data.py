"""Data: choose or import a dataset and look at it."""

import tempfile
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from genlib import data
from genlib.errors import GenlibError
from genlib.images import make_grid
from views._ui import DATASET, current_dataset, dataset_grid, dataset_stats, show_grid

st.title("Data")
st.caption("Pick a dataset to train on, or import your own. Everything here works offline.")

names = [d.name for d in data.list_datasets()]
current = current_dataset()
st.selectbox(
    "Dataset",
    names,
    index=names.index(current) if current in names else 0,
    key=DATASET,
    help="Built-in sets first; imported sets after them.",
)

with st.expander("Import a dataset", icon=":material/upload_file:"):
    st.markdown(
        "MNIST-style **IDX** files (.gz or raw; add the labels file too), **.npz / .npy** arrays, "
        "or a **.zip** with one folder of PNG/JPEG images per class."
    )
    files = st.file_uploader(
        "Files",
        accept_multiple_files=True,
        key="upload",
        type=["gz", "npz", "npy", "zip", "idx3-ubyte", "idx1-ubyte", "ubyte"],
    )
    new_name = st.text_input("Name for the new dataset", key="import_name", placeholder="e.g. my-mnist")
    if st.button("Import", key="import_button", disabled=not files or not new_name):
        with tempfile.TemporaryDirectory() as tmp:
            for f in files:
                (Path(tmp) / Path(f.name).name).write_bytes(f.getvalue())
            main = max(files, key=lambda f: f.size)  # the images file is the largest
            try:
                ds = data.import_dataset(Path(tmp) / Path(main.name).name, new_name)
            except GenlibError as exc:
                st.error(f"Import failed: {exc}", icon=":material/error:")
            else:
                st.success(f"Imported {new_name}: {len(ds):,} images {'x'.join(map(str, ds.image_shape))}.")
                st.session_state.pop(DATASET, None)
                st.session_state[DATASET] = new_name
                st.rerun()

name = st.session_state[DATASET]
try:
    stats = dataset_stats(name)
except GenlibError as exc:
    st.error(str(exc), icon=":material/cloud_off:")
    st.stop()

cols = st.columns(len(stats.summary()))
for col, (label, value) in zip(cols, stats.summary().items(), strict=True):
    col.metric(label.capitalize(), f"{value:,}" if isinstance(value, int) else value)

st.subheader("Samples")
show_grid(dataset_grid(name), caption="64 random images")

left, right = st.columns(2)
with left:
    st.subheader("Images per class")
    fig = go.Figure(go.Bar(x=stats.class_names or ["all"], y=stats.class_counts, marker_color="#4c78a8"))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="class", yaxis_title="images")
    st.plotly_chart(fig, key="class_histogram")
with right:
    st.subheader("Pixel intensities")
    fig = go.Figure(go.Bar(x=list(range(256)), y=stats.pixel_histogram, marker_color="#f58518"))
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis_title="pixel value",
        yaxis_title="count",
        yaxis_type="log",
        bargap=0,
    )
    st.plotly_chart(fig, key="pixel_histogram")

st.subheader("Mean image per class")
means = stats.class_means.clip(0, 255).astype("uint8")
show_grid(
    make_grid(means, ncols=len(means), min_cell=48),
    caption=" · ".join(stats.class_names) if stats.class_names else "all images",
)
