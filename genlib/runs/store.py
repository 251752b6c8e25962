"""The run directory: the one interface between training jobs and the app.

runs/<run_id>/
  config.json          {"train": TrainConfig, "model": family config, "versions": {...}}
  status.json          state, pid, epoch, step, times, error; written atomically
  metrics.jsonl        append-only, one JSON object per logged step or epoch
  samples/epoch_0001.png  fixed-latent grids, thinned for long runs (training.trainer.keep_sample)
  samples/latest.png     the newest grid, whatever its epoch
  samples/step_0000120.png  grids every N steps, when the run asks for them (train.sample_every)
  checkpoints/last.keras
  checkpoints/best.keras   the model at its lowest in-training FID, when metrics are on
  model/model.keras, model/generator.keras
  log.txt
  lock                 held (flock) by the one process training the run, for its lifetime

Liveness is read from that lock, never from a pid: the OS releases it when the
trainer ends, however it ends, and no other process can hold it by accident.

``queued`` means waiting in line for the worker (genlib/runs/worker.py), which
hands runs to training processes in ``queued_at`` order; ``dispatched_at`` marks
the moment it did. The queue is these files, so it survives any restart.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import time
from pathlib import Path

from .. import paths
from ..access import LOCAL, User
from ..errors import RunError, RunGone
from ..io import read_json, read_jsonl, write_json

MODEL_CHOICES = ("best", "last")  # which of a run's models pages and commands use
STATES = ("queued", "running", "completed", "failed", "stopped", "interrupted")
ACTIVE = ("queued", "running")
# A run handed to a process that has not taken its lock after this long is counted as dead.
# (A warm process takes it within milliseconds; a cold one within its Python start-up.)
QUEUE_GRACE_S = 60.0
LOCK_FD_ENV = "GENLAB_RUN_LOCK_FD"  # a lock taken by the parent and inherited by the trainer


# Bookkeeping in step and epoch records, not values a model logs.
NOT_LOGGED_VALUES = frozenset({"kind", "epoch", "step", "time", "seconds", "images_per_s", "n"})


def legacy_log_key(key: str) -> tuple[str, str]:
    """(kind, label) for a key of a run recorded before runs declared them."""
    if key == "lr":
        return ("learning_rate", "learning rate")
    if key in ("d_real", "d_fake"):
        return ("probability", {"d_real": "D(x)", "d_fake": "D(G(z))"}[key])
    return ("loss", key.replace("_", " "))


class Run:
    """One run directory: paths, and reads/writes that follow the format above."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.id = self.path.name

    config_path = property(lambda self: self.path / "config.json")
    status_path = property(lambda self: self.path / "status.json")
    metrics_path = property(lambda self: self.path / "metrics.jsonl")
    samples_dir = property(lambda self: self.path / "samples")
    latest_sample_path = property(lambda self: self.path / "samples" / "latest.png")
    checkpoint_path = property(lambda self: self.path / "checkpoints" / "last.keras")
    best_path = property(lambda self: self.path / "checkpoints" / "best.keras")
    model_dir = property(lambda self: self.path / "model")
    log_path = property(lambda self: self.path / "log.txt")
    lock_path = property(lambda self: self.path / "lock")

    def trained_model_path(self, which: str = "best") -> Path | None:
        """The model to sample and evaluate: ``best`` (the lowest in-training FID, where the run kept
        one, else the last) or ``last`` (the newest checkpoint, else the final model); None before epoch 1."""
        if which not in MODEL_CHOICES:
            raise RunError(f"which must be one of {', '.join(MODEL_CHOICES)}, got {which!r}")
        paths = (self.best_path,) if which == "best" else ()
        for path in (*paths, self.checkpoint_path, self.model_dir / "model.keras"):
            if path.is_file():
                return path
        return None

    def model_mtime(self, which: str = "best") -> float | None:
        """When the ``which`` model's file last changed (a new best, another epoch); None before epoch 1,
        or when the file is replaced between the look and the stat. Keys cached and stored results."""
        path = self.trained_model_path(which)
        try:
            return path.stat().st_mtime if path else None
        except OSError:
            return None

    def best(self, status: dict | None = None) -> dict | None:
        """{"epoch", "fid"} of the kept best model, or None when the run has none."""
        status = self.raw_status() if status is None else status
        best = status.get("best")
        return best if best and self.best_path.is_file() else None

    def extend(self, epochs: int) -> None:
        """Raise the run's epoch count so that a resume trains on to ``epochs``; RunError if not above
        the epochs already trained. Nothing else in the config changes."""
        from ..training.config import TrainConfig

        cfg = self.read_config()
        done = int(self.raw_status().get("epoch") or 0)
        if epochs <= done:
            raise RunError(f"run {self.id} has trained {done} epochs; a resume needs more than that, got {epochs}")
        train = TrainConfig.from_dict(cfg["train"]).replace(epochs=epochs)
        write_json(self.config_path, {**cfg, "train": train.to_dict()})
        self.update_status(epochs=epochs, evals_since_best=0)  # early stopping's patience starts again

    def exists(self) -> bool:
        return self.config_path.is_file()

    def read_config(self) -> dict:
        if not self.config_path.is_file():
            raise RunError(f"{self.path} is not a run directory (no config.json)")
        return read_json(self.config_path)

    @property
    def owner(self) -> str | None:
        """Who started the run (None for runs made before owners were recorded)."""
        try:
            return self.read_config().get("owner")
        except (RunError, ValueError, OSError):
            return None

    def waiting(self) -> bool:
        """Queued and not yet handed to a process: the worker may take it."""
        status = self.raw_status()
        return status.get("state") == "queued" and not status.get("dispatched_at")

    def raw_status(self) -> dict:
        try:
            return read_json(self.status_path)
        except (FileNotFoundError, ValueError):
            return {"state": "queued"}

    def status(self) -> dict:
        """The status, with a dead job's ``running``/``queued`` turned into ``interrupted``."""
        status = self.raw_status()
        state = status.get("state")
        if state not in ACTIVE or self.trainer_alive():
            return status
        if state == "queued" and not status.get("dispatched_at"):
            return status  # waiting in line: no process is meant to hold it yet
        if state == "queued" and time.time() - status["dispatched_at"] < QUEUE_GRACE_S:
            return status
        if self.trainer_alive():  # it took the lock between the two looks
            return self.raw_status()
        fresh = self.raw_status()  # a trainer writes its final state before it lets go of the lock
        if fresh.get("state") not in ACTIVE:
            return fresh
        return self.update_status(
            state="interrupted",
            finished_at=time.time(),
            eta_s=None,
            phase=None,
            error=f"the training process ended unexpectedly (pid {status.get('pid')}); see log.txt",
        )

    def trainer_alive(self) -> bool:
        """True while some process holds this run's lock, i.e. is training it."""
        return lock_held(self.lock_path)

    def lock(self) -> RunLock:
        """Take the trainer's lock (or adopt the one the job manager passed down); RunError if held."""
        return RunLock(self)

    def update_status(self, **fields) -> dict:
        status = {**self.raw_status(), **fields, "updated_at": time.time()}
        write_json(self.status_path, status)
        return status

    def log_keys(self, status: dict | None = None) -> dict[str, tuple[str, str]]:
        """What the run's step and epoch records hold: key -> (kind, label), as the trainer declared it
        in ``status`` (read here if not given).

        Runs from before the declaration: inferred from the names of their logged keys.
        """
        status = self.raw_status() if status is None else status
        if status.get("log_keys"):
            return {k: (kind, label) for k, (kind, label) in status["log_keys"].items()}
        last = status.get("losses") or next(iter(self.metrics("epoch")[-1:]), {})
        return {k: legacy_log_key(k) for k in last if k not in NOT_LOGGED_VALUES}

    def metrics(self, kind: str | None = None) -> list[dict]:
        """Metric records in order; after a resume, the re-run steps replace the earlier ones."""
        latest: dict[tuple, dict] = {}
        for record in read_jsonl(self.metrics_path):
            key = (record.get("kind"), record.get("step") if record.get("kind") == "step" else record.get("epoch"))
            latest.pop(key, None)  # re-insert so order follows the newest write
            latest[key] = record
        records = sorted(latest.values(), key=lambda r: (r.get("epoch", 0), r.get("kind") == "epoch"))
        return [r for r in records if r.get("kind") == kind] if kind else records

    def sample_paths(self) -> list[Path]:
        """The epoch grids in epoch order (by number: epoch_10000 comes after epoch_9999)."""
        if not self.samples_dir.is_dir():
            return []
        paths = [p for p in self.samples_dir.glob("epoch_*.png") if p.stem[6:].isdigit()]
        return sorted(paths, key=lambda p: int(p.stem[6:]))

    def sample_path(self, epoch: int) -> Path:
        return self.samples_dir / f"epoch_{epoch:04d}.png"

    def step_sample_paths(self) -> list[Path]:
        """The grids saved every ``sample_every`` steps, in step order."""
        if not self.samples_dir.is_dir():
            return []
        return sorted(
            (p for p in self.samples_dir.glob("step_*.png") if p.stem[5:].isdigit()), key=lambda p: int(p.stem[5:])
        )

    def step_sample_path(self, step: int) -> Path:
        return self.samples_dir / f"step_{step:07d}.png"

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of log.txt, read from its end (a long run's log is megabytes)."""
        try:
            with open(self.log_path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(size - 200 * lines, 0))
                text = f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def summary(self) -> dict:
        """One row for run lists: status, dataset, family, epochs, final losses, duration.

        Kept per process until config.json or status.json changes (by size and modification
        time), so a list of hundreds of finished runs costs two ``stat`` calls per run, not two
        JSON parses; a queued or running run is read afresh, since its process may die unseen.
        """
        key = (_file_key(self.config_path), _file_key(self.status_path))
        cached = _SUMMARIES.get(self.path)
        if cached is not None and cached[0] == key and cached[1]["state"] not in ACTIVE:
            return _copy_row(cached[1])
        row = self._summary()
        _SUMMARIES[self.path] = (key, row)
        return _copy_row(row)

    def _summary(self) -> dict:
        try:
            cfg = self.read_config()
        except (RunError, ValueError):
            return {"run_id": self.id, "state": "broken"}
        status = self.status()
        train = cfg.get("train", {})
        losses = status.get("losses")
        if losses is None:  # runs from before status.json carried the last epoch's losses
            epochs = self.metrics("epoch")
            last = epochs[-1] if epochs else {}
            losses = {k: v for k, v in last.items() if k not in ("kind", "epoch", "seconds", "time")}
        started, ended = status.get("started_at"), status.get("finished_at") or status.get("updated_at")
        return {
            "run_id": self.id,
            "state": status.get("state"),
            "dataset": train.get("dataset"),
            "family": train.get("family"),
            "preset": train.get("preset") or "",
            "loss": cfg.get("model", {}).get("loss"),  # GAN families only
            "changes": _changes_from_preset(cfg),
            "epoch": status.get("epoch", 0),
            "epochs": train.get("epochs"),
            "owner": cfg.get("owner"),
            "title": cfg.get("title") or "",
            "losses": losses,
            "log_keys": self.log_keys(status),
            "duration_s": (ended - started) if started and ended else None,
            "created_at": status.get("created_at") or self.config_path.stat().st_mtime,
        }


def _changes_from_preset(cfg: dict) -> list[str]:
    """The model fields a run set away from its preset, in words (["latent size 64", "DiffAugment cutout"]);
    none for a run of an unknown family (removed since), whose preset cannot be read."""
    from ..choices import Choices
    from ..models import list_families

    train = cfg.get("train", {})
    if train.get("family") not in list_families():
        return []
    return Choices.from_dict({**train, "model": cfg.get("model", {})}).changes()


_SUMMARIES: dict[Path, tuple[tuple, dict]] = {}  # run folder -> (its files' keys, its summary row)


def _copy_row(row: dict) -> dict:
    """A summary row callers may change: its values are numbers, strings and flat dicts."""
    return {k: dict(v) if isinstance(v, dict) else v for k, v in row.items()}


def _file_key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


class RunLock:
    """The exclusive lock of the one process that trains a run; the OS drops it when that process ends."""

    def __init__(self, run: Run):
        self.run = run
        self.fd = _inherited_lock(run.lock_path)
        if self.fd is None:
            self.fd = os.open(run.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self.fd)
                raise RunError(
                    f"run {run.id} is being trained by another process right now; stop that one first"
                ) from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *_exc) -> None:
        self.release()


def lock_held(path: Path) -> bool:
    """True while some process holds an exclusive flock on ``path``."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock taken just now
    return False


def _inherited_lock(path: Path) -> int | None:
    """The descriptor named by GENLAB_RUN_LOCK_FD if it is this run's lock file, else None."""
    text = os.environ.get(LOCK_FD_ENV)
    if not text or not text.isdigit():
        return None
    try:
        held, wanted = os.fstat(int(text)), os.stat(path)
    except OSError:
        return None
    if (held.st_dev, held.st_ino) != (wanted.st_dev, wanted.st_ino):
        return None
    os.environ.pop(LOCK_FD_ENV, None)  # adopted once; a later run in this process locks its own
    return int(text)


def pid_alive(pid: int, marker: str | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when given, its command line mentions ``marker``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    if not proc.exists():
        return True  # no /proc (macOS): trust kill(0)
    try:
        if proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
        if marker is not None:
            cmdline = proc.joinpath("cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            return marker in cmdline or Path(marker).name in cmdline
    except (OSError, IndexError):
        return False
    return True


class RunStore:
    """All runs under one folder (default: the workspace's runs/)."""

    def __init__(self, root: str | Path | None = None, folder: str = "runs"):
        self._root = Path(root) if root else None
        self.folder = folder  # "runs", or "tasks" for the queue's other jobs (genlib/runs/tasks.py)

    @property
    def root(self) -> Path:
        """The given folder, else the workspace's runs/ (read each time, so GENLAB_HOME is honoured)."""
        return self._root or paths.home() / self.folder

    def get(self, run_id: str) -> Run:
        if not paths.is_valid_id(run_id):
            raise RunError(f"invalid run id {run_id!r}")
        run = Run(self.root / run_id)
        if not run.exists():
            raise RunGone(f"no run named {run_id!r} in {self.root}")
        return run

    def list(self) -> list[Run]:
        """Runs, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        with os.scandir(self.root) as entries:
            for entry in entries:
                if not paths.is_valid_id(entry.name) or not entry.is_dir():
                    continue
                try:  # a folder is a run once it has config.json
                    found.append((os.stat(os.path.join(entry.path, "config.json")).st_mtime, entry.path))
                except (FileNotFoundError, NotADirectoryError):
                    continue
        return [Run(p) for _, p in sorted(found, reverse=True)]

    def using_dataset(self, name: str) -> list[Run]:
        """Runs trained (or training) on dataset ``name``."""
        out = []
        for run in self.list():
            try:
                if run.read_config().get("train", {}).get("dataset") == name:
                    out.append(run)
            except (RunError, ValueError, OSError):
                continue
        return out

    def new_id(self, family: str, dataset: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return f"{stamp}-{family}-{dataset}-{secrets.token_hex(2)}"[:64].lower().replace("_", "-")

    def create(self, config: dict, run_id: str | None = None, here: bool = False) -> Run:
        """A new run directory with config.json and a ``queued`` status (see ``create_run_dir``)."""
        train = config["train"]
        run_id = run_id or self.new_id(train["family"], train["dataset"])
        if not paths.is_valid_id(run_id):
            raise RunError(f"invalid run id {run_id!r}: use lowercase letters, digits, '-' and '_'")
        return create_run_dir(self.root / run_id, config, here)

    def delete(self, run_id: str, user: User = LOCAL) -> None:
        run = self.get(run_id)
        user.require_manage(run.owner, "delete")
        state = run.status().get("state")
        if state in ACTIVE or run.trainer_alive():
            raise RunError(f"run {run_id} is still {state}; stop it before deleting")
        shutil.rmtree(run.path)

    def waiting(self) -> list[Run]:
        """Runs waiting for the worker, first in line first."""
        runs = [r for r in self.list() if r.waiting()]
        return sorted(runs, key=lambda r: (r.raw_status().get("queued_at") or 0, r.id))

    def owned_by(self, name: str) -> list[Run]:
        return [r for r in self.list() if r.owner == name]


def create_run_dir(path: str | Path, config: dict, here: bool = False) -> Run:
    """Write a new run: a ``queued`` status, then config.json (which makes it a run).

    ``here``: the calling process trains it (the command line), so the worker must
    not take it: it is marked as handed out from its first moment.
    """
    run = Run(path)
    if run.exists():
        raise RunError(f"{run.path} already holds a run; pick another directory or use --resume")
    run.path.mkdir(parents=True, exist_ok=True)
    now = time.time()
    run.update_status(
        state="queued", created_at=now, queued_at=now, epoch=0, step=0, dispatched_at=now if here else None
    )
    write_json(run.config_path, config)
    return run
