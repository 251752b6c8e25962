"""The session's state: the user's choices, the run being looked at, messages, and error guards.

Streamlit forgets a widget's value when a page without that widget runs, so no
widget key is a store here. The choices live in one :class:`genlib.choices.Choices`
under ``st.session_state["choices"]``; each widget is seeded from it before it is
drawn and writes back through its ``on_change`` callback, and the URL's query
parameters mirror it, so a copied link opens with the same configuration.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import traceback

import streamlit as st

from genlib import data, paths
from genlib.choices import Choices
from genlib.errors import GenlibError

CHOICES = "choices"
RUN_ID = "run_id"  # the run the Train, Gallery and Evaluate pages show
_FLASH = "flash_messages"


# -- choices -------------------------------------------------------------------
def choices() -> Choices:
    """This session's choices: from the link on the first run, then kept; the dataset always exists."""
    if CHOICES not in st.session_state:
        found, problems = Choices.from_query(st.query_params.to_dict())
        st.session_state[CHOICES] = found
        for text in problems:
            flash(text, "warning")
    current: Choices = st.session_state[CHOICES]
    names = [d.name for d in data.list_datasets()]
    if current.dataset not in names:
        flash(
            f"Dataset **{current.dataset}** is not available (deleted, or never imported here); "
            f"switched to **{data.DEFAULT_DATASET}**.",
            "warning",
        )
        current = set_choices(current.with_dataset(data.DEFAULT_DATASET))
    return current


def set_choices(new: Choices) -> Choices:
    st.session_state[CHOICES] = new
    return new


def sync_url() -> None:
    """Mirror the choices in the address bar (only what changed from the defaults)."""
    wanted = choices().to_query()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def seed_widget(key: str, value) -> None:
    """Give widget ``key`` the stored value before it is drawn (Streamlit drops it between pages).

    Only when it differs: a value written to a widget's key is sent to the browser as one to show, and a
    run still drawing the first of two quick slider steps would set the slider back to it, and the next
    rerun would store that step again."""
    if key not in st.session_state or st.session_state[key] != value:
        st.session_state[key] = value


# -- the run being looked at ---------------------------------------------------
def select_run(run_id: str | None) -> None:
    st.session_state[RUN_ID] = run_id


def selected_run(ids: list[str], fallback: str | None = None) -> str | None:
    """The run this session looks at, if it still exists; else ``fallback`` or the newest, with a note."""
    wanted = st.session_state.get(RUN_ID)
    if wanted in ids:
        return wanted
    if wanted is not None:
        st.info(f"Run **{wanted}** no longer exists (deleted in another window?).", icon=":material/info:")
    chosen = fallback if fallback in ids else (ids[0] if ids else None)
    select_run(chosen)
    return chosen


# -- messages that survive st.rerun ------------------------------------------
def flash(text: str, kind: str = "success") -> None:
    """A message shown at the top of the next run of the page (survives st.rerun)."""
    messages = st.session_state.setdefault(_FLASH, [])
    if (text, kind) not in messages:
        messages.append((text, kind))


def show_flashes() -> None:
    icons = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:"}
    for text, kind in st.session_state.pop(_FLASH, []):
        if kind == "toast":  # passing news: gone after a few seconds
            st.toast(text, icon=":material/check_circle:")
        else:
            getattr(st, kind)(text, icon=icons.get(kind))


# -- errors ----------------------------------------------------------------------
def log_exception(exc: BaseException) -> str:
    """Append the traceback to the workspace's logs/app.log; return that path for the message."""
    folder = paths.logs_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "app.log"
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.write("".join(traceback.format_exception(exc)))
    return str(path)


@contextlib.contextmanager
def guarded():
    """User errors become one message; anything else a short note naming the log, never a traceback.

    Streamlit's own control flow (st.rerun, st.stop, st.switch_page) passes through:
    it is made of BaseExceptions, which this does not catch.
    """
    try:
        yield
    except GenlibError as exc:
        st.error(str(exc), icon=":material/error:")
    except Exception as exc:
        where = log_exception(exc)
        st.error(
            f"Something went wrong on this page ({type(exc).__name__}). Your runs and data are safe; "
            f"reload the page to go on. The details are in `{where}`.",
            icon=":material/error:",
        )


def guard(fn):
    """Decorator form of :func:`guarded`, for fragments (which rerun on their own)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with guarded():
            return fn(*args, **kwargs)

    return wrapper


# -- refresh rates -----------------------------------------------------------------
BASE_INTERVAL_S = 2.0
SECONDS_PER_VIEWER = 0.2  # past 10 people: 50 refresh every 10 s, so the server's work per second stays flat
WATCH_WINDOW_S = 30.0


@st.cache_resource
def _watchers() -> dict:
    return {"lock": threading.Lock(), "seen": {}}


def note_watcher() -> int:
    """Record that this session is looking at the app now; return how many sessions are."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    book = _watchers()
    now = time.time()
    with book["lock"]:
        if ctx is not None:
            book["seen"][ctx.session_id] = now
        if len(book["seen"]) > 16:
            book["seen"] = {k: t for k, t in book["seen"].items() if now - t < WATCH_WINDOW_S}
        return sum(now - t < WATCH_WINDOW_S for t in book["seen"].values())


def refresh_interval(base: float = BASE_INTERVAL_S) -> float:
    """Seconds between a live fragment's refreshes: ``base``, longer as more people are watching."""
    return max(base, note_watcher() * SECONDS_PER_VIEWER)
