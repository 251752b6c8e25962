"""Where genlib keeps imported datasets, runs and caches.

Everything lives under one workspace folder: ``$GENLAB_HOME`` if set, else
``./workspace`` relative to the current directory. Tests point GENLAB_HOME at a
temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def home() -> Path:
    return Path(os.environ.get("GENLAB_HOME", "workspace")).resolve()


def runs_dir() -> Path:
    return home() / "runs"


def datasets_dir() -> Path:
    return home() / "datasets"


def logs_dir() -> Path:
    """Where the app writes the details of unexpected errors (app.log)."""
    return home() / "logs"


def cache_dir() -> Path:
    """Rebuildable things (trained evaluators); ``$GENLAB_CACHE`` moves it out of the workspace."""
    return Path(os.environ["GENLAB_CACHE"]).resolve() if os.environ.get("GENLAB_CACHE") else home() / "cache"


def is_valid_id(name: str) -> bool:
    """Run ids and dataset names: lowercase letters, digits, '-' and '_'."""
    return isinstance(name, str) and bool(_ID.fullmatch(name))  # fullmatch: no trailing newline
