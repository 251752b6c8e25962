"""GenLab: streamlit run app.py

The router only: the page list, navigation, the shared sidebar, the URL kept in
step with the session's choices, and a guard that turns any error into a message.
"""

import streamlit as st

from views._state import guarded, show_flashes, sync_url
from views._ui import keep_keras_state_between_runs, keep_worker_running, sidebar

keep_keras_state_between_runs()
st.set_page_config(page_title="GenLab", page_icon=":material/auto_awesome:", layout="wide")

pages = [
    st.Page("views/data.py", title="Data", icon=":material/dataset:", default=True),
    st.Page("views/model.py", title="Model", icon=":material/account_tree:"),
    st.Page("views/train.py", title="Train", icon=":material/play_circle:"),
    st.Page("views/gallery.py", title="Gallery", icon=":material/photo_library:"),
    st.Page("views/evaluate.py", title="Evaluate", icon=":material/analytics:"),
    st.Page("views/runs.py", title="Runs", icon=":material/history:"),
]
pg = st.navigation(pages, position="top")  # a bar across the top: on a phone it folds into a menu
with guarded():
    sync_url()
    # Train and Runs refresh themselves; a second timer in the same session would only make
    # Streamlit cut one refresh short for the other.
    sidebar(live_counts=pg.title not in ("Train", "Runs"))
show_flashes()
with guarded():
    pg.run()
with guarded():
    keep_worker_running()  # after the page: kept running (and warm) while anyone uses the app
