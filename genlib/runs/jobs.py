"""Start, stop and resume training jobs, each in its own process.

The app calls these; the job writes its run directory; the app reads it. A
browser refresh or a restart of the app loses nothing, and a crashed job
cannot take the server down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..errors import RunError
from .store import ACTIVE, LOCK_FD_ENV, Run, RunStore


class JobManager:
    def __init__(self, store: RunStore | None = None):
        self.store = store or RunStore()

    def start(self, config: dict, run_id: str | None = None) -> Run:
        """Create a run for ``config`` (made by ``training.build_config``) and launch it."""
        run = self.store.create(config, run_id)
        self._launch(run, resume=False)
        return run

    def resume(self, run_id: str) -> Run:
        """Continue a stopped, interrupted or failed run from its last checkpoint."""
        run = self.store.get(run_id)
        if run.trainer_alive():
            raise RunError(f"run {run_id} is being trained right now (by the app or the command line)")
        state = run.status().get("state")
        if state in ACTIVE:
            raise RunError(f"run {run_id} is already {state}")
        if state == "completed":
            raise RunError(f"run {run_id} has completed all its epochs")
        run.update_status(state="queued", pid=None, created_at=time.time(), error=None)
        self._launch(run, resume=True)
        return run

    def stop(self, run_id: str) -> None:
        """Ask the job to stop (SIGTERM): it finishes its step and keeps its checkpoint."""
        run = self.store.get(run_id)
        status = run.status()
        if status.get("state") not in ACTIVE:
            raise RunError(f"run {run_id} is not running (it is {status.get('state')})")
        pid = status.get("pid")
        if pid and run.trainer_alive():  # only signal a pid that still holds the run's lock
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
        else:
            run.update_status(state="stopped", finished_at=time.time(), eta_s=None)

    def active(self) -> list[Run]:
        return [r for r in self.store.list() if r.status().get("state") in ACTIVE]

    def _launch(self, run: Run, resume: bool) -> None:
        cmd = [sys.executable, "-m", "genlib", "train", "--run-dir", str(run.path)]
        if resume:
            cmd.append("--resume")
        # The lock is taken here and handed to the job, so the run counts as alive from
        # this moment until the job's process ends, and a second launch is refused.
        lock = run.lock()
        env = {**os.environ, "PYTHONUNBUFFERED": "1", LOCK_FD_ENV: str(lock.fd)}
        try:
            with open(run.log_path, "ab") as log:
                proc = subprocess.Popen(
                    cmd,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=Path(__file__).resolve().parents[2],
                    env=env,
                    start_new_session=True,
                    pass_fds=(lock.fd,),
                )
        finally:
            lock.release()  # the child's copy keeps the lock
        threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it ends
        # The job writes its own pid when it starts; record it now for the seconds before.
        if run.raw_status().get("state") == "queued":
            run.update_status(pid=proc.pid)
