"""The Gallery's Export section: queue an export of the run's model, watch it, download what is there.

The export runs as a task in the worker's process (genlib/runs/tasks.py), never in the server;
what it writes lands in the run's exports/ folder, so every viewer of the run sees the same list.
"""

from __future__ import annotations

import time
from pathlib import Path

import streamlit as st

from genlib.errors import GenlibError
from genlib.export import MODEL_FORMATS, folder_zip_bytes, metrics_csv, read_bundles, read_exports
from genlib.runs import Run
from views._auth import current_user
from views._state import guard
from views._ui import job_manager, only_owner_text, task_queue

CHOICES = {
    **{fmt: spec.title for fmt, spec in MODEL_FORMATS.items()},
    "bundle": "Run bundle (.zip)",
}
HELP = {
    **{fmt: spec.use for fmt, spec in MODEL_FORMATS.items()},
    "bundle": "config, the generator in the chosen formats, grids, GIF, metrics CSV and a README with code",
}


def _task_key(run_id: str) -> str:
    return f"export_task_{run_id}"


def _outcome_key(run_id: str) -> str:
    return f"export_outcome_{run_id}"


def export_section(run: Run, which: str, epoch: int) -> None:
    st.subheader("Export")
    which = "best" if which == "best" and run.best() else "last"  # a run without metrics has only its last
    st.caption(
        f"Take the {which} model (epoch {epoch}) away. Each export is loaded back in its own runtime and "
        "compared with the Keras model on the same latent vectors; one that does not match is deleted."
    )
    user = current_user()
    allowed = user.can_manage(run.owner)
    c1, c2 = st.columns([2, 3])
    fmt = c1.radio(
        "Format", list(CHOICES), format_func=CHOICES.get, key=f"export_format_{run.id}", disabled=not allowed
    )
    c2.caption(f"**{CHOICES[fmt]}**: {HELP[fmt]}.")
    bundle_formats: list[str] = []
    if fmt == "bundle":
        bundle_formats = c2.multiselect(
            "Model formats in the bundle",
            list(MODEL_FORMATS),
            default=["savedmodel", "onnx"],
            format_func=lambda f: MODEL_FORMATS[f].title,
            key=f"export_bundle_formats_{run.id}",
            disabled=not allowed,
        )
    busy = bool(st.session_state.get(_task_key(run.id)))
    if c2.button(
        "Export",
        type="primary",
        icon=":material/ios_share:",
        key=f"export_button_{run.id}",
        disabled=not allowed or busy or (fmt == "bundle" and not bundle_formats),
    ):
        try:
            task = task_queue().submit_export(user, run.id, fmt, which, tuple(bundle_formats))
            st.session_state[_task_key(run.id)] = task.id
            st.rerun()
        except GenlibError as exc:
            st.error(str(exc), icon=":material/error:")
    if not allowed:
        c2.caption(only_owner_text(run.owner, "export it") + " Everyone can download what is exported below.")
    if st.session_state.get(_task_key(run.id)):
        export_progress(run.id, st.session_state[_task_key(run.id)])
    outcome = st.session_state.pop(_outcome_key(run.id), None)
    if outcome:  # what this session's last export came to, next to the button that started it
        kind, text = outcome
        (st.success if kind == "success" else st.warning)(
            text, icon=":material/check_circle:" if kind == "success" else ":material/warning:"
        )
    exported_list(run.id)


@st.fragment(run_every="1s")
@guard
def export_progress(run_id: str, task_id: str) -> None:
    """The queued export's phase and progress; the page reloads when it ends."""
    try:
        status = task_queue().get(task_id).status()
    except GenlibError:
        st.session_state.pop(_task_key(run_id), None)
        return
    if status["state"] in ("queued", "running"):
        text = status.get("phase") or ("waiting for the worker" if status["state"] == "queued" else "starting")
        st.progress(float(status.get("progress") or 0.0), text=f"Exporting… {text}")
        return
    st.session_state.pop(_task_key(run_id), None)
    if status["state"] == "completed":
        result = status.get("result") or {}
        check = result.get("check")
        note = f" Checked: max abs difference {check['max_abs_diff']:.2g}." if check else ""
        outcome = ("success", f"Exported to {Path(result.get('path', '')).name}.{note}")
    else:
        outcome = ("warning", f"The export failed: {status.get('error')}")
    st.session_state[_outcome_key(run_id)] = outcome
    st.rerun(scope="app")


def _read(path: Path) -> bytes:
    if not path.exists():
        raise GenlibError(f"{path.name} was removed meanwhile (replaced by a new export, or the run was deleted)")
    return folder_zip_bytes(path) if path.is_dir() else path.read_bytes()


@st.fragment(run_every="10s")
@guard
def exported_list(run_id: str) -> None:
    """What the run's exports/ folder holds, for everyone who can see the run; follows other sessions' exports."""
    try:
        run = job_manager().store.get(run_id)
    except GenlibError:  # deleted in another session: the whole page moves on
        st.rerun(scope="app")
    manifests = read_exports(run)
    bundles = read_bundles(run)
    if not manifests and not bundles:
        st.caption("Nothing exported from this run yet.")
        return
    st.markdown("**Exported from this run** (everyone who opens the run sees and can download these)")
    for m in manifests:
        folder = Path(m["path"])
        artifact = folder / m["artifact"]
        check = m["check"]
        single = artifact.is_file()
        c1, c2 = st.columns([3, 1.2])
        older = _older_than_model(run, m["which"], m["created_at"])
        c1.markdown(
            (f":material/update: {older}  \n" if older else "")
            + f":material/check_circle: **{m['title']}** · {m['which']} model, epoch {m['epoch']} · "
            f"{m['bytes'] / 1e6:.2f} MB  \n"
            f"Checked with {check['runtime']} on {check['n']} latent vectors: max abs difference "
            f"**{check['max_abs_diff']:.2g}** (allowed {check['tolerance']:g}) · "
            f"{time.strftime('%H:%M', time.localtime(m['created_at']))}"
        )
        name = artifact.name if single else f"{folder.name}.zip"
        c2.download_button(
            "Download",
            lambda path=(artifact if single else folder): _read(path),
            file_name=f"{run.id}-{m['which']}-{name}",
            key=f"export_download_{folder.name}",
            icon=":material/download:",
        )
    for bundle, size, mtime in bundles:
        c1, c2 = st.columns([3, 1.2])
        which = "last" if bundle.name.endswith("-last-bundle.zip") else "best"
        older = _older_than_model(run, which, mtime)
        c1.markdown(
            (f":material/update: {older}  \n" if older else "")
            + f":material/folder_zip: **Run bundle** · {bundle.name} · {size / 1e6:.2f} MB · "
            f"{time.strftime('%H:%M', time.localtime(mtime))}"
        )
        c2.download_button(
            "Download",
            lambda path=bundle: _read(path),
            file_name=bundle.name,
            mime="application/zip",
            key=f"export_download_{bundle.name}",
            icon=":material/download:",
        )


def _older_than_model(run: Run, which: str, made_at: float) -> str:
    """A note when the run's ``which`` model changed after an export was made (it trained further), else ''."""
    if (run.model_mtime(which) or 0.0) <= made_at:  # unchanged, or being replaced: read on the next refresh
        return ""
    return f"*Made before the run trained further: its {which} model has changed since. Export again for the new one.*"


def csv_download(run: Run, key: str) -> None:
    """The run's metrics.jsonl as CSV, made when clicked; disabled until the run has logged something."""
    logged = run.metrics_path.is_file() and run.metrics_path.stat().st_size > 0
    st.download_button(
        "Metrics as CSV",
        lambda: metrics_csv(run).encode(),
        file_name=f"{run.id}-metrics.csv",
        mime="text/csv",
        key=key,
        icon=":material/table:",
        disabled=not logged,
        help="Every logged step, epoch and evaluation, one row each (column kind), for a spreadsheet."
        + ("" if logged else " Nothing is logged yet."),
    )
