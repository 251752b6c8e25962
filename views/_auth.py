"""Who this browser session is: presenter, trainer or viewer (the rules are in genlib/access.py).

- A presenter password (``GENLAB_PRESENTER_PASSWORD``, or ``presenter_password`` in
  .streamlit/secrets.toml) turns the room on: whoever signs in with it presents,
  attendees who give a display name train within their quota, the rest watch.
- Without one, only browsers on this machine present; everyone else watches. A
  learner alone loses nothing, and a server exposed by mistake is safe.
- With an OIDC provider in secrets.toml (``[auth]``), ``st.login`` signs people in;
  the e-mail addresses in ``presenter_emails`` present, others train.

A display name is kept in a cookie (a random token; the workspace's people.json
maps its hash to the name), so a refresh keeps it and nobody else can take it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import threading
import time

import streamlit as st
import streamlit.components.v1 as components

from genlib import paths
from genlib.access import LOCAL, Role, User, clean_name
from genlib.errors import GenlibError
from genlib.io import write_json

USER = "user"
COOKIE = "genlab_person"
PASSWORD_ENV = "GENLAB_PRESENTER_PASSWORD"
MAX_FAILURES = 5  # wrong passwords per address ...
FAILURE_WINDOW_S = 300.0  # ... within this window, before that address waits it out


def presenter_password() -> str | None:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    try:
        return st.secrets.get("presenter_password") or None
    except Exception:  # no secrets.toml (StreamlitSecretNotFoundError) or a malformed one
        return None


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:
        return False


def is_local_client() -> bool:
    """A browser on this machine: a loopback address.

    Streamlit reports none for 127.0.0.1 and ::1, but a server listening on every
    interface sees 127.0.0.1 as ``::ffff:127.0.0.1``. A real connection always has a
    string address; AppTest's stand-in has none and counts as local.
    """
    return is_loopback(st.context.ip_address)


def is_loopback(address) -> bool:
    if not isinstance(address, str):
        return True
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def current_user() -> User:
    """This session's user, decided on its first run and kept (a sign-in or a name changes it)."""
    user = st.session_state.get(USER)
    if user is None:
        user = _first_look()
        st.session_state[USER] = user
    return user


def _first_look() -> User:
    if oidc_configured() and st.user.is_logged_in:
        emails = _secret_list("presenter_emails")
        role = Role.PRESENTER if st.user.get("email") in emails else Role.TRAINER
        return User(str(st.user.get("name") or st.user.get("email")), role)
    if presenter_password() is None:
        return LOCAL if is_local_client() else User("guest", Role.VIEWER)
    name = _people().get(_digest(st.context.cookies.get(COOKIE, "")))
    return User(name, Role.TRAINER) if name else User("guest", Role.VIEWER)


def _secret_list(key: str) -> list[str]:
    try:
        return list(st.secrets.get(key, []))
    except Exception:
        return []


# -- presenter sign-in -----------------------------------------------------------
@st.cache_resource
def _failures() -> dict:
    return {"lock": threading.Lock(), "by_address": {}}


def sign_in(password: str) -> None:
    """Check the presenter password (constant time, attempts limited per address); GenlibError if wrong."""
    expected = presenter_password()
    if expected is None:
        raise GenlibError("no presenter password is set on this server (see README, 'Running a workshop')")
    address = st.context.ip_address or "local"
    book = _failures()
    with book["lock"]:
        recent = [t for t in book["by_address"].get(address, []) if time.time() - t < FAILURE_WINDOW_S]
        book["by_address"][address] = recent
        if len(recent) >= MAX_FAILURES:
            wait = FAILURE_WINDOW_S - (time.time() - recent[0])
            raise GenlibError(f"too many wrong passwords from this address; try again in {wait / 60:.0f} min")
    if not hmac.compare_digest(password.encode(), expected.encode()):
        with book["lock"]:
            book["by_address"].setdefault(address, []).append(time.time())
        raise GenlibError("wrong password")
    st.session_state[USER] = User("presenter", Role.PRESENTER)


def sign_out() -> None:
    st.session_state[USER] = User("guest", Role.VIEWER)


# -- attendees' names -------------------------------------------------------------
_people_lock = threading.Lock()


def _people_path():
    return paths.home() / "people.json"


def _people() -> dict[str, str]:
    try:
        return json.loads(_people_path().read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def join(name_text: str) -> None:
    """Take a display name for this browser (trainer rights); GenlibError if it is taken or malformed."""
    if presenter_password() is None:
        raise GenlibError("training from other machines is off: the server has no presenter password")
    name = clean_name(name_text)
    if name.lower() in ("presenter", "local", "guest"):
        raise GenlibError(f"{name!r} is reserved; pick another name")
    token = secrets.token_urlsafe(18)
    with _people_lock:
        people = _people()
        if name.lower() in (n.lower() for n in people.values()):
            raise GenlibError(f"someone here is already called {name!r}; pick another name")
        people[_digest(token)] = name
        write_json(_people_path(), people)
    st.session_state[USER] = User(name, Role.TRAINER)
    st.session_state["_set_cookie"] = token


def remember_name() -> None:
    """Store a new name's token in a cookie (from a tiny same-origin frame) after ``join``."""
    token = st.session_state.pop("_set_cookie", None)
    if token:
        components.html(
            f"<script>parent.document.cookie = '{COOKIE}={token}; path=/; max-age=2592000; SameSite=Strict';</script>",
            height=0,
        )


def sign_in_forms(user: User) -> None:
    """The sidebar's forms: a display name to train, the presenter password, or a provider's sign-in."""
    if user.is_presenter:
        st.button("Sign out", key="sign_out", on_click=sign_out)
        return
    if oidc_configured():
        st.button("Sign in with your account", key="oidc_login", on_click=st.login)
        return
    if presenter_password() is None:
        st.caption(
            "This server lets browsers on other machines watch only. To let a room train, "
            "the presenter sets a password (README, 'Running a workshop')."
        )
        return
    with st.form("join_form", border=False):
        name = st.text_input("Your name", max_chars=32, help="Shown on your runs; lets you train and stop your own.")
        if st.form_submit_button("Join to train"):
            _report(join, name)
    with st.form("presenter_form", border=False):
        password = st.text_input("Presenter password", type="password")
        if st.form_submit_button("Sign in as presenter"):
            _report(sign_in, password)


def _report(action, value: str) -> None:
    try:
        action(value)
    except GenlibError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.rerun()
