"""Model: choose a family and preset, tune every hyperparameter, inspect the networks."""

import pandas as pd
import streamlit as st

from genlib import saved_configs
from genlib.errors import GenlibError
from genlib.models import get_family, list_families, make_config
from views._ui import FAMILY, MODEL_FIELDS, PRESET, current_dataset, dataset_stats, device_info, model_overview

st.title("Model")
DATA_FIELDS = ("image_shape", "num_classes")  # come from the dataset

families = list_families()
st.session_state.setdefault(FAMILY, families[0])
family = st.segmented_control("Family", families, key=FAMILY, format_func=lambda f: get_family(f).title, required=True)
cls = get_family(family)
st.caption(cls.description)
presets = list(cls.presets)
if st.session_state.get(PRESET) not in presets:
    st.session_state[PRESET] = presets[0]
preset = st.selectbox("Preset", presets, key=PRESET, help="A starting point; every field below can be changed.")
defaults = vars(make_config(family, preset))  # field values with tuples kept as tuples

values, errors = {}, []
with st.container(border=True):
    st.markdown("**Hyperparameters**")
    cols = st.columns(3)
    shown = [f for f in cls.config_class.field_info() if f["name"] not in DATA_FIELDS]
    for i, f in enumerate(shown):
        key, col, default = f"field_{family}_{preset}_{f['name']}", cols[i % 3], defaults[f["name"]]
        if f["choices"]:
            values[f["name"]] = col.selectbox(
                f["name"], f["choices"], index=f["choices"].index(default), key=key, help=f["help"]
            )
        elif f["type"] == "bool":
            values[f["name"]] = col.checkbox(f["name"], value=default, key=key, help=f["help"])
        elif f["type"] == "tuple[int]":
            text = col.text_input(f["name"], value=", ".join(map(str, default)), key=key, help=f["help"])
            try:
                values[f["name"]] = cls.config_class.parse_value(f["name"], text)
            except GenlibError as exc:
                errors.append(str(exc))
        else:
            values[f["name"]] = col.number_input(
                f["name"],
                value=default,
                key=key,
                help=f["help"],
                format="%g" if f["type"] == "float" else "%d",
                step=None if f["type"] == "float" else 1,
            )

stats = dataset_stats(current_dataset())
try:
    config = make_config(family, preset, **values, image_shape=stats.image_shape, num_classes=len(stats.class_names))
except GenlibError as exc:
    errors.append(str(exc))
for message in errors:
    st.error(message, icon=":material/error:")
if errors:
    st.stop()
st.session_state[MODEL_FIELDS] = {k: v for k, v in values.items() if v != defaults[k]}

overview = model_overview(family, config.to_json(), stats.count, 128, device_info()["device"] == "GPU")
m1, m2, m3 = st.columns(3)
m1.metric("Parameters", f"{overview['params']:,}")
m2.metric(
    "Estimated memory",
    f"{overview['memory_mb']:,.0f} MB",
    help="Weights, gradients, Adam state, and activations for a batch of 128.",
)
m3.metric(
    "Estimated time per epoch",
    f"{overview['seconds_per_epoch']:,.1f} s",
    help=f"Rough: {stats.count:,} images of {current_dataset()} on {device_info()['device']}.",
)

for name, net in overview["networks"].items():
    st.subheader(f"{name.capitalize()} · {net['params']:,} parameters")
    st.dataframe(pd.DataFrame(net["layers"]), hide_index=True, width="stretch", key=f"table_{name}")

with st.expander("Save or load a configuration", icon=":material/save:"):
    c1, c2 = st.columns(2)
    save_name = c1.text_input("Name", key="config_name", placeholder="e.g. dcgan-wide")
    if c1.button("Save", key="save_config", disabled=not save_name):
        try:
            saved_configs.save(save_name, family, preset, st.session_state[MODEL_FIELDS], {})
            st.success(f"Saved {save_name}.")
        except GenlibError as exc:
            st.error(str(exc))
    names = saved_configs.names()
    chosen = c2.selectbox("Saved configurations", names, key="config_pick", index=None)
    if c2.button("Load", key="load_config", disabled=chosen is None):
        saved = saved_configs.load(chosen)
        st.session_state[FAMILY], st.session_state[PRESET] = saved["family"], saved["preset"]
        for field, value in saved["model"].items():
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            st.session_state[f"field_{saved['family']}_{saved['preset']}_{field}"] = value
        st.rerun()
