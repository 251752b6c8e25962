"""Data: choose, import or delete a dataset, and look at it."""

import tempfile
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from genlib import data
from genlib.errors import DatasetOffline, GenlibError
from genlib.images import make_grid
from views._state import choices, flash, seed_widget, set_choices
from views._ui import dataset_grid, dataset_stats, job_manager, show_grid

st.title("Data")
st.caption(
    "Pick a dataset to train on, or import your own. All work offline except those marked (download), "
    "which are fetched once through Keras."
)

infos = {d.name: d for d in data.list_datasets()}
UPLOAD_KEY = f"upload_{st.session_state.get('upload_version', 0)}"
seed_widget("dataset", choices().dataset)
st.selectbox(
    "Dataset",
    list(infos),
    key="dataset",
    format_func=lambda n: f"{n} (imported)" if not infos[n].builtin else f"{n} (download)" if infos[n].download else n,
    on_change=lambda: set_choices(choices().with_dataset(st.session_state["dataset"])),
    help="Built-in sets first; imported sets after them. The Model and Train pages use this choice.",
)
name = choices().dataset


def import_files(files, new_name: str, overwrite: bool) -> None:
    """Import the uploaded files: the largest holds the images, a second one the labels."""
    if len(files) > 2:
        st.error("Upload one images file, plus at most one labels file.", icon=":material/error:")
        return
    with tempfile.TemporaryDirectory() as tmp:
        stored = sorted(((f.size, Path(tmp) / Path(f.name).name, f) for f in files), key=lambda t: -t[0])
        for _, path, f in stored:
            path.write_bytes(f.getvalue())
        images, labels = stored[0][1], (stored[1][1] if len(stored) > 1 else None)
        try:
            ds = data.import_dataset(images, new_name, labels_path=labels, overwrite=overwrite)
        except GenlibError as exc:
            st.error(f"Import failed: {exc}", icon=":material/error:")
            return
    labelled = f"{ds.num_classes} classes" if ds.labels is not None else "no labels"
    flash(f"Imported **{new_name}**: {len(ds):,} images {'x'.join(map(str, ds.image_shape))}, {labelled}.")
    set_choices(choices().with_dataset(new_name))
    st.session_state["upload_version"] = st.session_state.get("upload_version", 0) + 1  # an empty form
    st.session_state.pop("import_name", None)
    st.rerun()


# Kept open while an import is being put together (each upload reruns the page).
filling = bool(st.session_state.get(UPLOAD_KEY)) or bool(st.session_state.get("import_name"))
with st.expander("Import a dataset", icon=":material/upload_file:", expanded=filling):
    st.markdown(
        "MNIST-style **IDX** files (.gz or raw), **.npz / .npy** arrays, or a **.zip** with one folder of "
        "PNG/JPEG images per class. Sets shipped as two files (images and labels, like MNIST or KMNIST): "
        "upload both; the smaller one is read as the labels."
    )
    files = st.file_uploader("Files", accept_multiple_files=True, key=UPLOAD_KEY)
    new_name = st.text_input("Name for the new dataset", key="import_name", placeholder="e.g. my-mnist")
    exists = bool(new_name) and new_name in infos and not infos[new_name].builtin
    overwrite = st.checkbox(f"Replace the existing {new_name}", key="import_overwrite") if exists else False
    if st.button("Import", key="import_button", disabled=not files or not new_name):
        import_files(files, new_name.strip(), overwrite)


def delete_dataset(name: str) -> None:
    """Delete the dataset named when the button was drawn (a second click finds it gone)."""
    current = choices()
    try:
        data.delete_dataset(name)
    except GenlibError as exc:
        flash(str(exc), "warning")
        return
    flash(f"Deleted dataset **{name}**; showing {data.DEFAULT_DATASET}.")
    set_choices(current.with_dataset(data.DEFAULT_DATASET))


if not infos[name].builtin:
    with st.popover("Delete this dataset", icon=":material/delete:"):
        used = len(job_manager().store.using_dataset(name))
        st.write(
            f"Delete the imported dataset **{name}**? "
            + (
                f"{used} run(s) trained on it keep their samples and models, but cannot be evaluated again."
                if used
                else "No run uses it."
            )
        )
        st.button("Yes, delete it", key="delete_dataset", type="primary", on_click=delete_dataset, args=(name,))

try:
    stats = dataset_stats(name)
except DatasetOffline as exc:
    st.error(
        f"Could not download **{name}**: this machine seems to be offline ({exc.reason}).", icon=":material/cloud_off:"
    )
    st.info(
        f"Get the files elsewhere (for {name}: `{exc.example_file}` and its labels file), then open "
        f"**Import a dataset** above, upload them and name the set, e.g. `{exc.suggested_name}`.",
        icon=":material/upload_file:",
    )
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
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),  # room for the chart's toolbar above the bars
        xaxis=dict(title="class", type="category"),
        yaxis_title="images",
    )
    st.plotly_chart(fig, key="class_histogram")
with right:
    st.subheader("Pixel intensities")
    fig = go.Figure(go.Bar(x=list(range(256)), y=stats.pixel_histogram, marker_color="#f58518"))
    fig.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis_title="pixel value",
        yaxis_title="count",
        yaxis=dict(type="log", dtick=1),  # powers of ten only
        bargap=0,
    )
    st.plotly_chart(fig, key="pixel_histogram")

st.subheader("Mean image per class")
means = stats.class_means.clip(0, 255).astype("uint8")
show_grid(
    make_grid(means, ncols=len(means), min_cell=48),
    caption=" · ".join(stats.class_names) if stats.class_names else "all images",
)
