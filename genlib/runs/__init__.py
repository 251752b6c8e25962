"""Run store (the run directory format) and the job manager."""

from .jobs import JobManager
from .store import ACTIVE, STATES, Run, RunStore, create_run_dir, pid_alive

__all__ = ["ACTIVE", "STATES", "JobManager", "Run", "RunStore", "create_run_dir", "pid_alive"]
