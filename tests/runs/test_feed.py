"""The live views' metrics reader: only new bytes are read, and curves stay bounded."""

import numpy as np

from genlib.io import append_jsonl
from genlib.runs.feed import Feed, decimate


def test_the_feed_reads_only_what_was_appended(tmp_path):
    path = tmp_path / "metrics.jsonl"
    feed = Feed(path)
    assert feed.refresh() == 0 and feed.records() == []
    for step in range(1, 4):
        append_jsonl(path, {"kind": "step", "epoch": 1, "step": step, "g_loss": float(step)})
    v1 = feed.refresh()
    assert [r["step"] for r in feed.records("step")] == [1, 2, 3]
    assert feed.refresh() == v1  # nothing new: same version, so cached views are reused
    with open(path, "a") as f:
        f.write('{"kind": "epoch", "epo')  # a line still being written
    assert feed.refresh() == v1 and feed.records("epoch") == []
    with open(path, "a") as f:
        f.write('ch": 1, "g_loss": 2.0}\n')
    assert feed.refresh() > v1 and feed.records("epoch") == [{"kind": "epoch", "epoch": 1, "g_loss": 2.0}]
    append_jsonl(path, {"kind": "step", "epoch": 1, "step": 3, "g_loss": 9.0})  # re-run after a resume
    feed.refresh()
    assert [r["g_loss"] for r in feed.records("step")] == [1.0, 2.0, 9.0]


def test_a_replaced_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "metrics.jsonl"
    append_jsonl(path, {"kind": "step", "epoch": 1, "step": 1})
    feed = Feed(path)
    feed.refresh()
    path.unlink()
    append_jsonl(path, {"kind": "step", "epoch": 7, "step": 70})
    feed.refresh()
    assert [r["step"] for r in feed.records()] == [70]


def test_decimate_bounds_the_points_and_keeps_the_level():
    records = [{"step": i, "g_loss": 1.0 + (i % 2), "epoch": i // 10} for i in range(100_000)]
    series = decimate(records, ["g_loss", "epoch"], points=500)
    assert len(series["step"]) == 500 and len(series["g_loss"]) == 500
    assert np.allclose(series["g_loss"], 1.5)  # the mean of each bucket
    assert series["step"][0] < series["step"][-1]
    short = decimate(records[:10], ["g_loss"], points=500)
    assert list(short["g_loss"]) == [r["g_loss"] for r in records[:10]]


def test_columns_grow_with_the_file_and_feed_decimate(tmp_path):
    path = tmp_path / "metrics.jsonl"
    feed = Feed(path)
    for step in range(1, 1001):
        append_jsonl(path, {"kind": "step", "epoch": step // 10, "step": step, "g_loss": float(step)})
    feed.refresh()
    first = feed.columns("step", ("step", "g_loss"))
    assert len(first["step"]) == 1000 and first["g_loss"][-1] == 1000.0
    append_jsonl(path, {"kind": "step", "epoch": 100, "step": 1001, "g_loss": 5.0})
    feed.refresh()
    grown = feed.columns("step", ("step", "g_loss"))
    assert len(grown["step"]) == 1001 and grown["g_loss"][-1] == 5.0
    assert len(decimate(grown, ["g_loss"], points=100)["g_loss"]) == 100
