"""Model: choose a family and preset, tune every hyperparameter, inspect the networks."""

import pandas as pd
import streamlit as st

from genlib import saved_configs
from genlib.choices import DATA_FIELDS, Choices
from genlib.config import KIND_TEXT, field_label, number_text
from genlib.errors import ConfigError, GenlibError
from genlib.models import get_family, list_families
from views._auth import current_user
from views._state import choices, flash, seed_widget, set_choices
from views._ui import (
    config_error_text,
    dataset_stats,
    device_info,
    headline,
    known_speed,
    measure_speed,
    model_overview,
)

st.title("Model")
headline()

c = choices()
seed_widget("family_pick", c.family)
st.segmented_control(
    "Family",
    list_families(),
    key="family_pick",
    format_func=lambda f: get_family(f).title,
    required=True,
    on_change=lambda: set_choices(choices().with_family(st.session_state["family_pick"])),
)
cls = get_family(c.family)
st.caption(cls.description)
seed_widget("preset_pick", c.preset)
st.selectbox(
    "Preset",
    list(cls.presets),
    key="preset_pick",
    format_func=lambda p: f"{p} · {cls.preset_notes[p]}" if p in cls.preset_notes else p,
    help="A starting point; every field below can be changed. Choosing a preset resets the fields to it.",
    on_change=lambda: set_choices(choices().with_preset(st.session_state["preset_pick"])),
)


def set_field(name: str, kind: str) -> None:
    """Store a field's new value; list fields are parsed, and kept as typed if they do not parse."""
    value = st.session_state[f"field_{name}"]
    if kind == "tuple[int]":
        try:
            value = cls.config_class.parse_value(name, value)
        except ConfigError:
            pass  # shown as an error below, from the config's own check
    new = choices().with_model_field(name, value)
    # A field this change leaves unused and whose value the config would now refuse (label smoothing
    # from the preset, after choosing the hinge loss) goes back to off, with a note, not an error.
    unused = cls.config_class.unused_fields(new.model_values())
    defaults = {f["name"]: f["default"] for f in cls.config_class.field_info()}
    for exc in new.problems(parts=("model",)):
        if exc.field in unused and exc.field != name:
            new = new.with_model_field(exc.field, defaults[exc.field])
            flash(
                f"**{field_label(exc.field)}** set to {number_text(defaults[exc.field])}: {unused[exc.field]}.", "info"
            )
    set_choices(new)


def field_help(f: dict) -> str:
    rule = ""
    if f["choices"]:
        rule = "one of " + ", ".join(map(str, f["choices"]))
    elif f["low"] is not None and f["type"] != "tuple[int]":
        rule = f"{number_text(f['low'])} to {number_text(f['high'])}"
    return f"{f['help']}  \n`{f['name']}` · {KIND_TEXT[f['type']]}{' · ' + rule if rule else ''}"


stats = dataset_stats(c.dataset)
problems = c.problems(stats.image_shape, len(stats.class_names), parts=("model",))  # every bad field at once
values = c.model_values()
# Greyed out, with the reason in their help; but never one an error asks to change (loaded from a link).
unused = {k: why for k, why in cls.config_class.unused_fields(values).items() if k not in {e.field for e in problems}}
with st.container(border=True):
    st.markdown("**Hyperparameters**")
    shown = [f for f in cls.config_class.field_info() if f["name"] not in DATA_FIELDS]
    for i, f in enumerate(shown):
        if i % 3 == 0:  # a row of three at a time: on a phone they stack in reading order
            cols = st.columns(3)
        key, col, value = f"field_{f['name']}", cols[i % 3], values[f["name"]]
        why_unused = unused.get(f["name"])
        common = dict(
            key=key,
            help=field_help(f) + (f"  \nNot used now: {why_unused}." if why_unused else ""),
            disabled=bool(why_unused),
            on_change=set_field,
            args=(f["name"], f["type"]),
        )
        label = field_label(f["name"])
        if f["type"] == "tuple[int]":
            seed_widget(key, ", ".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value))
            col.text_input(label, **common)
        elif f["choices"]:
            seed_widget(key, value)
            col.selectbox(label, f["choices"], **common)
        elif f["type"] == "bool":
            seed_widget(key, value)
            col.checkbox(label, **common)
        else:
            seed_widget(key, value)
            is_float = f["type"] == "float"
            col.number_input(label, format="%g" if is_float else "%d", step=None if is_float else 1, **common)

try:
    config = None if problems else c.model_config(stats.image_shape, len(stats.class_names))
except ConfigError as exc:
    problems = [exc]
for exc in problems:
    st.error(config_error_text(exc), icon=":material/error:")
if problems:
    st.caption("The network tables and the estimates come back once the values above are fixed.")
    st.stop()

batch = c.train_values()["batch_size"]
overview = model_overview(c.family, config.to_json(), stats.count, batch, device_info()["device"] == "GPU")
speed = known_speed(config.to_json(), batch, c.dataset, stats.count)
m1, m2, m3 = st.columns(3)
m1.metric("Parameters", f"{overview['params']:,}")
m2.metric(
    "Estimated memory",
    f"{overview['memory_mb']:,.0f} MB",
    help=f"Weights, gradients, Adam state, and activations for a batch of {batch}.",
)
m3.metric(
    "Time per epoch" if speed else "Estimated time per epoch",
    f"{(speed or overview)['seconds_per_epoch']:,.1f} s",
    help=f"{stats.count:,} images of {c.dataset} in batches of {batch} on {device_info()['device']}; "
    + (speed["source"] if speed else overview["estimate_basis"]),
)
if speed is None:
    if m3.button(
        "Measure",
        key="measure_speed",
        icon=":material/timer:",
        disabled=not current_user().can_train,  # it runs TensorFlow in a process of its own
        help="Times the real training step in a separate process: about 20 s."
        if current_user().can_train
        else "Measuring runs training code on the server: for the presenter and attendees who joined.",
    ):
        with st.spinner("Timing the training step…"):
            try:
                measure_speed(c.build())
            except GenlibError as exc:
                st.error(str(exc), icon=":material/error:")
            else:
                st.rerun()
else:
    m3.caption(speed["source"])

for name, net in overview["networks"].items():
    st.subheader(f"{name.capitalize()} · {net['params']:,} parameters")
    st.dataframe(pd.DataFrame(net["layers"]), hide_index=True, width="stretch", key=f"table_{name}")


def load_saved(name: str) -> None:
    try:
        saved = Choices.from_dict({"dataset": choices().dataset, **saved_configs.load(name)})
    except GenlibError as exc:
        flash(str(exc), "warning")
        return
    set_choices(saved)
    flash(f"Loaded **{name}**: {saved.headline()}, with its training settings.")


with st.expander("Save or load a configuration", icon=":material/save:"):
    st.caption("A configuration is the dataset, family, preset, every field above and the Train page's settings.")
    c1, c2 = st.columns(2)
    save_name = c1.text_input("Name", key="config_name", placeholder="e.g. dcgan-wide")
    if c1.button("Save", key="save_config", disabled=not save_name):
        try:
            saved_configs.save(save_name, choices().to_dict())
            st.success(f"Saved {save_name}.")
        except GenlibError as exc:
            st.error(str(exc))
    names = saved_configs.names()
    chosen = c2.selectbox("Saved configurations", names, key="config_pick", index=None)
    c2.button("Load", key="load_config", disabled=chosen is None, on_click=load_saved, args=(chosen,))
