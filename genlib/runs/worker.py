"""The worker: the one dispatcher that turns queued runs and tasks into processes.

    python -m genlib worker

The app starts one when work is queued and none is running; on a headless machine
start it yourself. A lock file makes sure only one dispatches at a time. It polls
the run directories (the queue's only state, so nothing is lost when the app or
the worker restarts) and starts, in ``queued_at`` order:

- training runs, at most ``Limits.concurrent_jobs`` at a time;
- tasks (imports, evaluations, exports), one at a time, in their own lane so an import
  never waits behind a long training run.

It keeps one training process warm: Python started and TensorFlow imported,
waiting on its stdin for a run. Handing a run to it saves the ~6 s import, so the
first loss curve appears soon after Start. It exits after a while with nothing
queued or running (the app starts it again on the next Start).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time

from .. import paths
from ..access import Limits
from ..errors import RunError
from .jobs import launch_cold, spawn
from .store import ACTIVE, Run, RunStore, lock_held

POLL_S = 0.5
IDLE_EXIT_S = float(os.environ.get("GENLAB_WORKER_IDLE_S", 900))
WARM = os.environ.get("GENLAB_WORKER_WARM", "1") != "0"  # keep a process with TensorFlow imported ready
# The app starts the worker at its first page view. The warm process's imports take several
# seconds of a core, so they wait until that page is on screen (docs/BENCHMARKS.md, 'First page');
# a run started before then launches cold.
STANDBY_AFTER_S = 5.0


def worker_lock_path():
    return paths.home() / "worker.lock"


def worker_alive() -> bool:
    """True while some process holds the worker lock."""
    return lock_held(worker_lock_path())


class Worker:
    def __init__(
        self,
        runs: RunStore | None = None,
        tasks: RunStore | None = None,
        limits: Limits | None = None,
        warm: bool = WARM,
    ):
        self.runs = runs or RunStore()
        self.tasks = tasks or RunStore(folder="tasks")
        self.limits = limits or Limits.from_env()
        self.warm = warm
        self._standby: subprocess.Popen | None = None
        self._children: list[subprocess.Popen] = []
        self.idle = True

    def serve(self, idle_exit_s: float = IDLE_EXIT_S) -> None:
        """Dispatch until idle for ``idle_exit_s``; RunError if another worker holds the lock."""
        path = worker_lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunError("another worker is already dispatching for this workspace") from None
        print(
            f"worker {os.getpid()} dispatching for {paths.home()} "
            f"(training jobs at once: {self.limits.concurrent_jobs})",
            flush=True,
        )
        started = idle_since = time.time()
        try:
            while True:
                if not path.exists():  # the workspace was deleted (a test's or a demo's temporary one)
                    print("worker: the workspace is gone; exiting", flush=True)
                    return
                self._reap()
                self.dispatch_once()
                if not self.idle:
                    idle_since = time.time()
                elif time.time() - idle_since > idle_exit_s:
                    print("worker: nothing queued or running; exiting", flush=True)
                    return
                if self.warm and time.time() - started >= STANDBY_AFTER_S:
                    self._keep_standby()
                time.sleep(POLL_S)
        finally:
            self._drop_standby()
            os.close(fd)

    def dispatch_once(self) -> list[str]:
        """Start what the limits allow now; return the ids started (``idle``: nothing to do or doing)."""
        started, self.idle = [], True
        for store, limit, kind in ((self.runs, self.limits.concurrent_jobs, "train"), (self.tasks, 1, "task")):
            busy, waiting = self._busy(store), store.waiting()
            self.idle = self.idle and not busy and not waiting
            for run in waiting[: max(limit - busy, 0)]:
                if self._hand_out(run, kind):
                    started.append(run.id)
        return started

    @staticmethod
    def _busy(store: RunStore) -> int:
        """Runs holding a process: training now, or handed out and starting (a dead one reads as interrupted)."""
        return sum(r.status().get("state") in ACTIVE and not r.waiting() for r in store.list())

    def _hand_out(self, run: Run, kind: str) -> bool:
        try:
            lock = run.lock()  # JobManager.stop takes it too: a run is stopped or started, never both
        except RunError:
            return False  # trained by someone else (the command line) right now
        try:
            if not run.waiting():
                return False
            standby = self._standby if kind == "train" else None
            warm = standby is not None and standby.poll() is None
            phase = "starting" if warm or kind != "train" else "starting: importing TensorFlow"
            run.update_status(dispatched_at=time.time(), phase=phase)
            if warm:
                self._standby = None
                lock.release()  # the warm process takes it itself, within the grace period
                order = {"run_dir": str(run.path), "resume": run.checkpoint_path.is_file()}
                try:
                    standby.stdin.write(json.dumps(order) + "\n")
                    standby.stdin.close()
                    run.update_status(pid=standby.pid)
                    self._children.append(standby)
                    print(f"worker: {run.id} -> warm process {standby.pid}", flush=True)
                    return True
                except OSError:  # it died just now: start a cold one
                    lock = run.lock()
            self._children.append(launch_cold(run, kind, lock))
            print(f"worker: {run.id} -> new process ({kind})", flush=True)
            return True
        finally:
            lock.release()

    def _keep_standby(self) -> None:
        if self._standby is not None and self._standby.poll() is None:
            return
        self._standby = spawn(
            ["train", "--standby"], paths.logs_dir() / "standby.log", stdin=subprocess.PIPE, text=True
        )

    def _drop_standby(self) -> None:
        if self._standby is not None and self._standby.poll() is None:
            self._standby.stdin.close()  # it exits when its stdin ends without an order
            self._standby.wait(timeout=30)
        self._standby = None

    def _reap(self) -> None:
        self._children = [p for p in self._children if p.poll() is None]
