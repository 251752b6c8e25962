"""Hostile uploads through the Data page: the message each gets, and what they cost the app server.

    python docs/bench_hostile_imports.py

Each file of tests/data/test_hostile_imports.py (float IDX, overflowing header,
damaged gzip, .npy and .npz bombs, an 8000x8000 PNG, a corrupt zip member) is
uploaded and imported through the Data page in AppTest, which runs the page in
this process, so this process stands for the app server. Printed per file: the
message shown, the growth of this process's RSS (peak during the import,
sampled every 20 ms), whether anything was written to datasets/, and the upload's size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["GENLAB_HOME"] = tempfile.mkdtemp(prefix="genlab-hostile-")
os.environ.setdefault("GENLAB_WORKER_WARM", "0")


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def main() -> None:
    from streamlit.testing.v1 import AppTest

    from genlib import paths
    from tests.data.test_hostile_imports import hostile_files

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, content, _expected) in enumerate(hostile_files(Path(tmp))):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.run()
            before = rss_mb()
            peak = [before]
            stop = threading.Event()

            def sample(peak=peak, stop=stop) -> None:
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_mb())
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0 = time.time()
            at.file_uploader(key="upload_0").upload(name, content).run()
            at.text_input(key="import_name").input(f"hostile-{i}").run()
            at.button(key="import_button").click().run()
            message = None
            while message is None and time.time() - t0 < 120:
                found = [w.value for w in [*at.warning, *at.error] if "Import failed" in w.value]
                message = found[0] if found else None
                if message is None:
                    time.sleep(0.5)
                    at.run()
            stop.set()
            sampler.join()
            written = paths.datasets_dir().is_dir() and any(paths.datasets_dir().iterdir())
            row = {
                "file": name,
                "upload_kb": round(len(content) / 1024),
                "message": message,
                "server_rss_growth_mb": round(peak[0] - before, 1),
                "written": bool(written),
                "seconds": round(time.time() - t0, 1),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    print("max growth (MB):", max(r["server_rss_growth_mb"] for r in results))


if __name__ == "__main__":
    main()
