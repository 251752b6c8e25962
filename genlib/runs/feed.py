"""metrics.jsonl read incrementally, for live views that refresh every few seconds.

``Run.metrics()`` reads the whole file: fine once, but a live page refreshing every
2 s for each viewer of a 9,000-epoch run re-read megabytes each time. A ``Feed``
keeps its place in the file and reads only the lines appended since; one feed per
run is shared by every viewer (the app keeps them in a process-wide cache), and
its ``version`` changes only when something new arrived, so results computed
from it (decimated curves, charts) can be cached by ``(run, version)``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np


class Feed:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._reset()

    def _reset(self, inode: int | None = None) -> None:
        self._inode = inode
        self._offset = 0
        self._head = b""  # the file's first bytes: a new file on a reused inode starts differently
        self._latest: dict[tuple, dict] = {}
        self._sorted: list[dict] | None = []
        self.version = 0

    def refresh(self) -> int:
        """Read what was appended since the last call; return the version (bumped on news)."""
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                if self._inode is not None:
                    self._reset()
                return self.version
            with open(self.path, "rb") as f:
                replaced = stat.st_ino != self._inode or stat.st_size < self._offset
                if not replaced and self._head:
                    replaced = f.read(len(self._head)) != self._head
                if replaced:
                    version = self.version
                    self._reset(stat.st_ino)
                    self.version = version + 1
                if stat.st_size == self._offset:
                    return self.version
                f.seek(self._offset)
                chunk = f.read(stat.st_size - self._offset)
            whole = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next call
            if not whole:
                return self.version
            if not self._offset:
                self._head = whole[:64]
            self._offset += len(whole)
            for line in whole.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                kind = record.get("kind")
                key = (kind, record.get("step") if kind == "step" else record.get("epoch"))
                self._latest.pop(key, None)  # a resumed run's re-run steps replace the earlier ones
                self._latest[key] = record
            self._sorted = None
            self.version += 1
            return self.version

    def records(self, kind: str | None = None) -> list[dict]:
        """The same records as ``Run.metrics(kind)``, as of the last ``refresh``."""
        with self._lock:
            if self._sorted is None:
                self._sorted = sorted(
                    self._latest.values(), key=lambda r: (r.get("epoch", 0), r.get("kind") == "epoch")
                )
            records = self._sorted
        return [r for r in records if r.get("kind") == kind] if kind else records


def decimate(records: list[dict], keys: list[str], x: str = "step", points: int = 600) -> dict[str, np.ndarray]:
    """At most ``points`` points per series, whatever the run's length: bucket means over x.

    Short series come back unchanged. Each bucket's mean keeps the curve's level and
    trend, which is what a loss chart is read for; x is the bucket's mean x.
    """
    xs = np.array([r.get(x, 0) for r in records], dtype=float)
    series = {k: np.array([r.get(k, np.nan) for r in records], dtype=float) for k in keys}
    if len(xs) <= points:
        return {x: xs, **series}
    edges = np.linspace(0, len(xs), points + 1).astype(int)
    counts = np.diff(edges)
    out = {x: np.add.reduceat(xs, edges[:-1]) / counts}
    for k, values in series.items():
        valid = ~np.isnan(values)
        sums = np.add.reduceat(np.where(valid, values, 0.0), edges[:-1])
        n = np.add.reduceat(valid.astype(float), edges[:-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
    return out
