"""Queue, stop and resume training jobs; each trains in its own process.

The app calls these with the ``User`` it is serving; the checks are here, so a
request crafted around the page's buttons meets the same rules. ``start`` only
queues: the worker (genlib/runs/worker.py) hands queued runs to training
processes, at most ``Limits.concurrent_jobs`` at a time, first in line first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .. import paths
from ..access import LOCAL, Forbidden, Limits, User
from ..data import list_datasets
from ..errors import RunError
from ..io import folder_bytes
from .store import ACTIVE, LOCK_FD_ENV, Run, RunStore

ROOT = Path(__file__).resolve().parents[2]
TITLE_CHARS = 80


class JobManager:
    def __init__(self, store: RunStore | None = None, limits: Limits | None = None, autostart: bool = True):
        self.store = store or RunStore()
        self.limits = limits or Limits.from_env()
        self.autostart = autostart  # start a worker process when work is queued and none runs

    # -- queueing ----------------------------------------------------------
    def start(self, config: dict, user: User = LOCAL, title: str = "", run_id: str | None = None) -> Run:
        """Queue a run of ``config`` (made by ``training.build_config``) for ``user``."""
        user.require_train()
        self._check_quota(user)
        title = " ".join(str(title).split())[:TITLE_CHARS]
        run = self.store.create({**config, "owner": user.name, "title": title}, run_id)
        self.ensure_worker()
        return run

    def resume(self, run_id: str, user: User = LOCAL, epochs: int | None = None) -> Run:
        """Queue a stopped, interrupted or failed run again; it continues from its last checkpoint.

        ``epochs`` changes how far it trains: above the epochs done, it also extends a completed run.
        """
        run = self.store.get(run_id)
        user.require_manage(run.owner, "resume")
        if run.trainer_alive():
            raise RunError(f"run {run_id} is being trained right now (by the app or the command line)")
        state = run.status().get("state")
        if state in ACTIVE:
            raise RunError(f"run {run_id} is already {state}")
        planned = run.read_config()["train"]["epochs"]
        if state == "completed" and (epochs is None or epochs <= int(run.raw_status().get("epoch") or 0)):
            raise RunError(f"run {run_id} has completed its epochs; give a higher epoch count to train it further")
        dataset = run.read_config()["train"]["dataset"]
        if dataset not in {d.name for d in list_datasets()}:
            raise RunError(f"run {run_id} trained on dataset {dataset!r}, which was deleted; import it again to resume")
        self._check_quota(user)
        if epochs is not None and epochs != planned:
            run.extend(epochs)
        run.update_status(state="queued", pid=None, queued_at=time.time(), dispatched_at=None, error=None, phase=None)
        self.ensure_worker()
        return run

    def stop(self, run_id: str, user: User = LOCAL) -> None:
        """Take a waiting run out of the queue, or ask a training one to stop after its step (SIGTERM)."""
        run = self.store.get(run_id)
        user.require_manage(run.owner, "stop")
        status = run.status()
        if status.get("state") not in ACTIVE:
            raise RunError(f"run {run_id} is not running (it is {status.get('state')})")
        pid = status.get("pid")
        if pid and run.trainer_alive():  # only signal a pid that still holds the run's lock
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
            return
        try:
            with run.lock():  # the worker hands a run out only while holding this lock
                if run.raw_status().get("state") in ACTIVE:
                    run.update_status(state="stopped", finished_at=time.time(), eta_s=None, phase=None)
        except RunError:  # a process took it this instant: signal it instead
            fresh = run.raw_status().get("pid")
            if fresh:
                os.kill(int(fresh), signal.SIGTERM)

    def _check_quota(self, user: User) -> None:
        if user.is_presenter:
            return
        mine = self.store.owned_by(user.name)
        active = [r for r in mine if r.status().get("state") in ACTIVE]
        if len(active) >= self.limits.queued_per_user:
            raise Forbidden(
                f"{user.name} already has {len(active)} run(s) queued or training "
                f"(the limit is {self.limits.queued_per_user}); stop one or wait for it"
            )
        used = sum(folder_bytes(r.path) for r in mine)
        if used > self.limits.disk_mb_per_user * 2**20:
            raise Forbidden(
                f"{user.name}'s runs take {used / 2**20:.0f} MB (the limit is {self.limits.disk_mb_per_user} MB); "
                f"delete some first"
            )

    # -- reading -----------------------------------------------------------
    def active(self) -> list[Run]:
        return [r for r in self.store.list() if r.status().get("state") in ACTIVE]

    def queue(self) -> list[Run]:
        """Runs waiting for a training slot, first in line first."""
        return self.store.waiting()

    def position(self, run_id: str, queue: list[Run] | None = None) -> int | None:
        """1 for the next run to start; None if the run is not waiting."""
        ids = [r.id for r in (self.queue() if queue is None else queue)]
        return ids.index(run_id) + 1 if run_id in ids else None

    # -- the worker --------------------------------------------------------
    def ensure_worker(self) -> bool:
        """Start ``python -m genlib worker`` unless one is dispatching; True if one runs now."""
        from .worker import worker_alive

        if worker_alive():
            return True
        if not self.autostart:
            return False
        spawn(["worker"], paths.logs_dir() / "worker.log")  # outlives the app: the queue goes on through a restart
        return True


def launch_cold(run: Run, command: str, lock) -> subprocess.Popen:
    """Start ``python -m genlib <command> --run-dir RUN`` holding the run's lock (handed down)."""
    args = [command, "--run-dir", str(run.path)]
    if command == "train":
        args.append("--queued")
        if run.checkpoint_path.is_file():
            args.append("--resume")
    proc = spawn(args, run.log_path, env={LOCK_FD_ENV: str(lock.fd)}, pass_fds=(lock.fd,))
    run.update_status(pid=proc.pid)
    return proc


def spawn(args: list[str], log_path: Path, env: dict | None = None, **popen) -> subprocess.Popen:
    """``python -m genlib ARGS`` in its own session (it outlives its parent), output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "genlib", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=popen.pop("stdin", subprocess.DEVNULL),
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,
            **popen,
        )
