"""Data: choose, import or delete a dataset, and look at it."""

import plotly.graph_objects as go
import streamlit as st

from genlib import data
from genlib.errors import DatasetOffline, GenlibError
from genlib.images import make_grid
from views._auth import current_user
from views._state import choices, flash, guard, seed_widget, set_choices
from views._ui import (
    augmentation_preview,
    charts_after_paint,
    dataset_grid,
    dataset_stats,
    field_help,
    job_manager,
    plotly_chart,
    show_grid,
    task_queue,
)

st.title("Data")
st.caption(
    "Pick a dataset to train on, or import your own. All work offline except those marked (download), "
    "which are fetched once through Keras."
)

infos = {d.name: d for d in data.list_datasets()}
# New keys after each import: an empty form (a widget keeps what the browser holds under its old key).
UPLOAD_KEY = f"upload_{st.session_state.get('upload_version', 0)}"
NAME_KEY = f"import_name_{st.session_state.get('upload_version', 0)}"
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
    """Queue the import of the uploaded files (the largest holds the images, a second one the labels).

    The files are checked and decoded by a task process, never in this server.
    """
    if len(files) > 2:
        st.error("Upload one images file, plus at most one labels file.", icon=":material/error:")
        return
    ordered = sorted(files, key=lambda f: -f.size)
    labels = (ordered[1].name, ordered[1].getvalue()) if len(ordered) > 1 else None
    try:
        task = task_queue().submit_import(
            current_user(), new_name, (ordered[0].name, ordered[0].getvalue()), labels, overwrite
        )
    except GenlibError as exc:
        st.error(f"Import failed: {exc}", icon=":material/error:")
        return
    st.session_state["import_task"] = task.id
    st.session_state["upload_version"] = st.session_state.get("upload_version", 0) + 1  # an empty form
    st.rerun()


@st.fragment(run_every="1s")
@guard
def import_progress(task_id: str) -> None:
    """The queued import's progress; the page moves to the new set when it is in."""
    try:
        task = task_queue().get(task_id)
    except GenlibError:
        st.session_state.pop("import_task", None)
        return
    status = task.status()
    name = task.read_config()["args"]["name"]
    if status["state"] in ("queued", "running"):
        st.info(f"Importing **{name}**… ({status.get('phase') or status['state']})", icon=":material/hourglass_top:")
        return
    st.session_state.pop("import_task", None)
    if status["state"] == "completed":
        result = status["result"]
        labelled = f"{result['classes']} classes" if result.get("classes") else "no labels"
        flash(f"Imported **{name}**: {result['images']:,} images {'x'.join(map(str, result['shape']))}, {labelled}.")
        set_choices(choices().with_dataset(name))
    else:
        flash(f"Import failed: {status.get('error') or 'see the task log'}", "warning")
    st.rerun()


user = current_user()
if st.session_state.get("import_task"):
    import_progress(st.session_state["import_task"])


def import_form() -> None:
    """Upload, name and import; kept open while an import is being put together (each upload reruns)."""
    filling = bool(st.session_state.get(UPLOAD_KEY)) or bool(st.session_state.get(NAME_KEY))
    with st.expander("Import a dataset", icon=":material/upload_file:", expanded=filling):
        st.markdown(
            "MNIST-style **IDX** files (.gz or raw), **.npz / .npy** arrays, or a **.zip** with one folder of "
            "PNG/JPEG images per class. Sets shipped as two files (images and labels, like MNIST or KMNIST): "
            "upload both; the smaller one is read as the labels."
        )
        files = st.file_uploader("Files", accept_multiple_files=True, key=UPLOAD_KEY)
        new_name = st.text_input("Name for the new dataset", key=NAME_KEY, placeholder="e.g. my-mnist")
        exists = bool(new_name) and new_name in infos and not infos[new_name].builtin
        overwrite = st.checkbox(f"Replace the existing {new_name}", key="import_overwrite") if exists else False
        # Enabled once files are chosen: a name typed but not yet applied (no Enter) arrives with the click.
        if st.button("Import", key="import_button", disabled=not files):
            if new_name.strip():
                import_files(files, new_name.strip(), overwrite)
            else:
                st.error("Name the new dataset first.", icon=":material/error:")


if user.is_presenter:
    import_form()
else:
    st.caption(":material/lock: Only the presenter imports datasets on this server.")


def delete_dataset(name: str) -> None:
    """Delete the dataset named when the button was drawn (a second click finds it gone)."""
    current = choices()
    try:
        data.delete_dataset(name, current_user())
    except GenlibError as exc:
        flash(str(exc), "warning")
        return
    flash(f"Deleted dataset **{name}**; showing {data.DEFAULT_DATASET}.")
    set_choices(current.with_dataset(data.DEFAULT_DATASET))


if not infos[name].builtin and user.is_presenter:
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


def set_augment(field: str) -> None:
    set_choices(choices().with_train_field(field, st.session_state[f"aug_{field}"]))


# (field, label, slider maximum, step, how the value reads)
AUGMENT_SLIDERS = (
    ("augment_rotate", "Rotate (degrees, either way)", 45.0, 5.0, "%g°"),
    ("augment_scale", "Zoom (share, in or out)", 0.3, 0.05, "%.2f"),
    ("augment_translate", "Shift (share of the side)", 0.3, 0.05, "%.2f"),
    ("augment_brightness", "Brightness (share of the range)", 0.3, 0.05, "%.2f"),
    ("augment_contrast", "Contrast (share)", 0.5, 0.05, "%.2f"),
)

st.subheader("Augmentation")
st.caption(
    "Random changes to the real images at every training step, for runs you start from now on. The model "
    "learns what it is shown, so a rotated digit becomes something it may draw: keep the changes small. "
    "**DiffAugment** (on the Model page, for GANs) changes real and generated images alike before the "
    "discriminator, and helps more on small datasets."
)
train = choices().train_values()
left, right = st.columns([2, 3])
with left:
    seed_widget("aug_augment_flip", train["augment_flip"])
    st.toggle(
        "Mirror left-right",
        key="aug_augment_flip",
        help=field_help("augment_flip"),
        on_change=set_augment,
        args=("augment_flip",),
    )
    for field, label, top, step, fmt in AUGMENT_SLIDERS:
        seed_widget(f"aug_{field}", min(float(train[field]), top))
        st.slider(
            label,
            0.0,
            top,
            step=step,
            format=fmt,
            key=f"aug_{field}",
            help=field_help(field),
            on_change=set_augment,
            args=(field,),
        )
with right:
    from genlib.data.augment import Augment

    augment = Augment.from_train(choices().train_config())
    if augment.active:
        show_grid(
            augmentation_preview(
                name,
                (augment.flip, augment.rotate, augment.scale, augment.translate, augment.brightness, augment.contrast),
            ),
            caption=f"Top row: eight real images. Below: three random draws of {augment.describe()}.",
        )
    else:
        st.info(
            "No augmentation: the model trains on the images as they are. Move a slider to preview one.",
            icon=":material/auto_fix_off:",
        )


def histograms() -> None:
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
        plotly_chart(fig, key="class_histogram")
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
        plotly_chart(fig, key="pixel_histogram")


charts_after_paint(histograms, "Drawing the class and pixel histograms…")

st.subheader("Mean image per class")
means = stats.class_means.clip(0, 255).astype("uint8")
show_grid(
    make_grid(means, ncols=len(means), min_cell=48),
    caption=" · ".join(stats.class_names) if stats.class_names else "all images",
)
