"""Shared fixtures: every test gets its own empty workspace (GENLAB_HOME); evaluators are shared."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Workers that tests start (through JobManager) end soon after their queue is empty, and
# keep no warm TensorFlow process unless a test asks for one.
os.environ.setdefault("GENLAB_WORKER_IDLE_S", "5")
os.environ.setdefault("GENLAB_WORKER_WARM", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """One cache (trained evaluators) for the whole session: each dataset's is trained once."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["GENLAB_CACHE"] = str(path)
    yield path
    os.environ.pop("GENLAB_CACHE", None)


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("GENLAB_HOME", str(home))
    return home


@pytest.fixture
def tiny_images():
    """64 random 8x8 grey images with 4 classes: enough to take a few steps."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (64, 8, 8, 1), dtype=np.uint8), rng.integers(0, 4, 64).astype(np.int32)
