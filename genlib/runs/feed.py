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
        self._by_kind: dict[str, list[dict]] = {}  # in file order; a re-written key replaces in place
        self._where: dict[tuple, tuple[str, int]] = {}
        self._columns: dict[tuple, tuple[int, dict[str, np.ndarray]]] = {}  # (kind, keys) -> (rows done, arrays)
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
                records = self._by_kind.setdefault(kind, [])
                if key in self._where:  # a resumed run re-writes the steps after its checkpoint
                    records[self._where[key][1]] = record
                    self._columns.clear()  # rows changed in place: columns are rebuilt once
                else:
                    self._where[key] = (kind, len(records))
                    records.append(record)
            self.version += 1
            return self.version

    def records(self, kind: str | None = None) -> list[dict]:
        """The records of one kind ("step", "epoch", "eval") in order, or all kinds, as of the last ``refresh``.

        The lists are shared, not copied: read them, never change them.
        """
        with self._lock:
            if kind is not None:
                return self._by_kind.get(kind, [])
            return [r for records in self._by_kind.values() for r in records]

    def columns(self, kind: str, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Arrays of ``keys`` over the records of ``kind`` (NaN where missing), extended with only the new rows."""
        with self._lock:
            records = self._by_kind.get(kind, [])
            done, arrays = self._columns.get((kind, keys), (0, {k: np.empty(0) for k in keys}))
            if done < len(records):
                new = records[done:]
                arrays = {
                    k: np.concatenate([arrays[k], np.array([r.get(k, np.nan) for r in new], dtype=float)]) for k in keys
                }
                self._columns[(kind, keys)] = (len(records), arrays)
            return arrays


def decimate(records, keys: list[str], x: str = "step", points: int = 600) -> dict[str, np.ndarray]:
    """At most ``points`` points per series, whatever the run's length: bucket means over x.

    ``records`` is a list of records, or a dict of arrays that includes ``x`` (``Feed.columns``).

    Short series come back unchanged. Each bucket's mean keeps the curve's level and
    trend, which is what a loss chart is read for; x is the bucket's mean x.
    """
    if isinstance(records, dict):  # columns already (Feed.columns)
        xs, series = records[x], {k: records[k] for k in keys}
    else:
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
