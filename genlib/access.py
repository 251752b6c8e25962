"""Who may do what: presenter, trainer and viewer, checked where the work is done.

The app decides who a browser session is (password, local machine, display name);
genlib's job manager, run store and dataset functions check the ``User`` they are
given, so a hidden button is never the only guard.

- presenter: everything (start, stop, delete any run; import and delete datasets).
- trainer:   start runs within a quota; stop, resume and delete their own runs;
             queue evaluations of their own runs.
- viewer:    browse, watch, compare, read stored metrics.

The command line runs as ``LOCAL`` (a presenter): whoever has a shell on the
machine already owns its files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import GenlibError


class Forbidden(GenlibError):
    """The user's role does not allow this action."""


class Role(StrEnum):
    VIEWER = "viewer"
    TRAINER = "trainer"
    PRESENTER = "presenter"


_NAME = re.compile(r"[\w][\w .'-]{0,31}")


def clean_name(text: str) -> str:
    """A display name: 1-32 letters, digits, spaces, dots, apostrophes or dashes; GenlibError otherwise."""
    name = " ".join(str(text).split())
    if not _NAME.fullmatch(name):
        raise GenlibError("a name is 1 to 32 letters, digits, spaces, dots, apostrophes or dashes")
    return name


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    @property
    def can_train(self) -> bool:
        return self.role in (Role.TRAINER, Role.PRESENTER)

    @property
    def is_presenter(self) -> bool:
        return self.role is Role.PRESENTER

    def can_manage(self, owner: str | None) -> bool:
        """Stop, resume, delete or re-evaluate a run owned by ``owner``."""
        return self.is_presenter or (self.role is Role.TRAINER and owner is not None and owner == self.name)

    def require_train(self) -> None:
        if not self.can_train:
            raise Forbidden(f"{self.name} is a viewer here: ask the presenter for training rights")

    def require_manage(self, owner: str | None, what: str) -> None:
        if not self.can_manage(owner):
            whose = f"{owner}'s" if owner else "an unowned"
            raise Forbidden(f"only the presenter or its owner may {what} {whose} run")

    def require_presenter(self, what: str) -> None:
        if not self.is_presenter:
            raise Forbidden(f"only the presenter may {what}")


LOCAL = User("local", Role.PRESENTER)
ANONYMOUS = User("guest", Role.VIEWER)


@dataclass(frozen=True)
class Limits:
    """Room limits; each can be set by an environment variable (see README, "Running a workshop")."""

    concurrent_jobs: int = 1  # training jobs at once: on this CPU, running two together gains nothing
    queued_per_user: int = 2  # a trainer's runs waiting or running at once
    disk_mb_per_run: int = 200  # a run past this keeps every 10th sample grid only, then stops
    disk_mb_per_user: int = 1000  # a trainer past this cannot start another run

    @classmethod
    def from_env(cls) -> Limits:
        values = {}
        for field in cls.__dataclass_fields__:
            text = os.environ.get(f"GENLAB_{field.upper()}")
            if text:
                try:
                    values[field] = max(int(text), 1)
                except ValueError:
                    raise GenlibError(f"GENLAB_{field.upper()} must be a whole number, got {text!r}") from None
        if "concurrent_jobs" not in values:
            values["concurrent_jobs"] = _default_concurrency()
        return cls(**values)


def _default_concurrency() -> int:
    """One job per GPU, else one: jobs on one CPU only share it (docs/BENCHMARKS.md, 'Queue')."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return max(len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"]), 1)
    try:
        return max(len(os.listdir("/proc/driver/nvidia/gpus")), 1)
    except OSError:
        return 1
