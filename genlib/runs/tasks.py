"""Imports, evaluations and exports as queued jobs, run by the worker in their own process.

A task is a folder under ``workspace/tasks/`` in the run directory format
(config.json names the task and its arguments, status.json, log.txt, lock), so
the queue, the lock and the liveness rules are the same as for training runs.
The app never decodes an upload or trains an evaluator in its own process: it
writes the upload into the task's folder and watches the task's status.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
import traceback
from pathlib import Path

from ..access import User
from ..errors import GenlibError, RunError
from ..io import write_json
from .jobs import JobManager
from .store import ACTIVE, Run, RunStore, create_run_dir

KEEP_TASKS = 50  # finished tasks kept for their messages; older ones are removed on the next submit


class TaskQueue:
    def __init__(self, store: RunStore | None = None, runs: RunStore | None = None):
        self.store = store or RunStore(folder="tasks")
        self.runs = runs or RunStore()

    def submit_import(
        self,
        user: User,
        name: str,
        upload: tuple[str, bytes],
        labels: tuple[str, bytes] | None = None,
        overwrite: bool = False,
    ) -> Run:
        """Queue an import of uploaded bytes (file name, content) as dataset ``name``; presenter only."""
        from ..data import check_new_name

        user.require_presenter("import datasets")
        check_new_name(name, overwrite)  # a taken or malformed name is refused now, before any upload is stored
        files = {"upload": upload, **({"labels": labels} if labels else {})}
        args = {"name": name, "overwrite": bool(overwrite)}
        task = self._create("import", args, user)
        for role, (filename, content) in files.items():
            target = task.path / role / _safe_name(filename)  # the user's file name: the importers' messages use it
            target.parent.mkdir()
            target.write_bytes(content)
            args[role] = f"{role}/{target.name}"
        return self._queue(task, args)

    def submit_evaluate(
        self,
        user: User,
        run_ids: list[str],
        n: int,
        force: bool = False,
        inception: bool = False,
        which: str = "best",
    ) -> Run:
        """Queue quality metrics for runs the user may manage (viewers read stored results only)."""
        user.require_train()
        for run_id in run_ids:
            run = self.runs.get(run_id)
            user.require_manage(run.owner, "evaluate")
        return self._queue(
            self._create("evaluate", {}, user),
            {"runs": list(run_ids), "n": int(n), "force": force, "inception": inception, "which": which},
        )

    def submit_export(
        self, user: User, run_id: str, fmt: str, which: str = "best", bundle_formats: tuple[str, ...] = ()
    ) -> Run:
        """Queue an export of a run the user may manage into that run's exports/ folder."""
        from ..export import BUNDLE_DEFAULT_FORMATS, FORMATS, MODEL_FORMATS

        user.require_train()
        run = self.runs.get(run_id)
        user.require_manage(run.owner, "export")
        if fmt not in FORMATS:
            raise GenlibError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        bundle_formats = tuple(bundle_formats) or BUNDLE_DEFAULT_FORMATS
        if fmt == "bundle" and not set(bundle_formats) <= set(MODEL_FORMATS):
            raise GenlibError(f"bundle formats must be among {', '.join(MODEL_FORMATS)}")
        args = {"run": run_id, "format": fmt, "which": which, "bundle_formats": list(bundle_formats)}
        return self._queue(self._create("export", {}, user), args)

    def get(self, task_id: str) -> Run:
        return self.store.get(task_id)

    def _create(self, kind: str, args: dict, user: User) -> Run:
        self._prune()
        task_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{secrets.token_hex(3)}"
        # Written as handed out, so the worker waits until the arguments are complete.
        task = create_run_dir(self.store.root / task_id, {"task": kind, "args": args, "owner": user.name}, here=True)
        return task

    def _queue(self, task: Run, args: dict) -> Run:
        config = task.read_config()
        write_json(task.config_path, {**config, "args": args})
        task.update_status(dispatched_at=None, queued_at=time.time())  # now the worker may take it
        JobManager(self.runs).ensure_worker()
        return task

    def _prune(self) -> None:
        finished = [t for t in self.store.list() if t.raw_status().get("state") not in ACTIVE]
        for task in finished[KEEP_TASKS:]:
            shutil.rmtree(task.path, ignore_errors=True)


def _safe_name(filename: str) -> str:
    """An uploaded file's own name, reduced to letters, digits, '.', '-' and '_' (never a path)."""
    name = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in Path(filename).name)[-100:].lstrip(".")
    return name or "upload"


def run_task(task: Run) -> dict:
    """Run one task in this process (the worker starts ``python -m genlib task --run-dir DIR``)."""
    with task.lock():
        config = task.read_config()
        task.update_status(state="running", pid=os.getpid(), started_at=time.time(), phase=None)
        try:
            result = _HANDLERS[config["task"]](task, config["args"])
        except Exception as exc:
            message = str(exc) if isinstance(exc, GenlibError) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, GenlibError):
                traceback.print_exc()
            print(f"error: {message}", flush=True)
            return task.update_status(state="failed", error=message, finished_at=time.time())
        finally:
            for folder in ("upload", "labels"):
                shutil.rmtree(task.path / folder, ignore_errors=True)  # in the dataset now, or refused
        return task.update_status(state="completed", result=result, finished_at=time.time())


def _import(task: Run, args: dict) -> dict:
    from ..data import import_dataset

    labels = task.path / args["labels"] if args.get("labels") else None
    ds = import_dataset(task.path / args["upload"], args["name"], labels_path=labels, overwrite=args["overwrite"])
    h, w, c = ds.image_shape
    print(f"imported {args['name']}: {len(ds):,} images {h}x{w}x{c}", flush=True)
    return {"name": args["name"], "images": len(ds), "shape": [h, w, c], "classes": ds.num_classes}


def _evaluate(task: Run, args: dict) -> dict:
    from ..metrics import evaluate_run
    from ..training.backends import import_quietly

    import_quietly()
    store = RunStore()
    done = {}
    for i, run_id in enumerate(args["runs"], 1):
        task.update_status(phase=f"run {i} of {len(args['runs'])}: {run_id}")
        try:
            run = store.get(run_id)
        except RunError:
            print(f"{run_id}: deleted meanwhile; skipped", flush=True)
            continue

        def report(text: str, run_id=run_id) -> None:
            print(f"{run_id}: {text}", flush=True)
            task.update_status(phase=f"{run_id}: {text}")

        result = evaluate_run(
            run,
            n=args["n"],
            report=report,
            force=args["force"],
            inception=args.get("inception", False),
            which=args.get("which", "best"),
        )
        done[run_id] = round(result["seconds"], 1)
    return {"seconds": done}


def _export(task: Run, args: dict) -> dict:
    from ..export import MODEL_FORMATS, export
    from ..training.backends import import_quietly

    import_quietly()
    fmt = args["format"]
    # loading, then writing and checking each model format
    total = 1 + 2 * (len(args["bundle_formats"]) if fmt == "bundle" else 1 if fmt in MODEL_FORMATS else 0) + 1
    done = 0

    def report(text: str) -> None:
        nonlocal done
        done += 1
        print(text, flush=True)
        task.update_status(phase=text, progress=min(done / total, 1.0))

    result = export(args["run"], fmt, which=args["which"], bundle_formats=tuple(args["bundle_formats"]), report=report)
    return {k: v for k, v in result.items() if k in ("format", "path", "bytes", "check", "formats", "epoch", "rows")}


_HANDLERS = {"import": _import, "evaluate": _evaluate, "export": _export}
