"""How long the Gallery of a long run takes to open, the first time and the second, in a real browser.

    python docs/bench_gallery_open.py HOME RUN_ID [RUN_ID ...]

HOME is a workspace holding the runs (docs/make_long_run.py makes 10,000-epoch
ones). For each run, a fresh app server and a fresh headless Chromium open the
Gallery, pick the run, and time until the newest grid is shown ("epoch N"), then
switch on the animation and time until the GIF is shown. The same browser then
loads the page again (a new page load and app session, with the browser's cache,
as a person coming back): the "second time". GIFs cached on disk by an earlier
run of this script are removed first, so the first time is really first.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import body_text, choose, chromium, served_app, wait_text  # noqa: E402


def open_gallery(driver, url: str, run_id: str, last_epoch: int) -> dict:
    t0 = time.time()
    driver.get(url + "/gallery")
    wait_text(driver, "Samples by epoch", timeout=120)
    if run_id not in body_text(driver).split("Samples by epoch")[0]:
        choose(driver, "Run", run_id)
    wait_text(driver, f"epoch {last_epoch}", timeout=120)
    grid_s = time.time() - t0
    t1 = time.time()
    toggle = next(e for e in driver.find_elements("css selector", "label") if "Show the whole training" in e.text)
    toggle.click()
    wait_text(driver, "Download GIF", timeout=300)
    return {"grid_s": round(grid_s, 2), "gif_s": round(time.time() - t1, 2), "total_s": round(time.time() - t0, 2)}


def main() -> None:
    home, run_ids = Path(sys.argv[1]), sys.argv[2:]
    results = {}
    for run_id in run_ids:
        run_dir = home / "runs" / run_id
        shutil.rmtree(run_dir / "gif", ignore_errors=True)
        last = json.loads((run_dir / "status.json").read_text())["epoch"]
        with served_app(home) as url, tempfile.TemporaryDirectory() as tmp, chromium(Path(tmp) / "user") as browser:
            results[run_id] = {"first": open_gallery(browser, url, run_id, last)}
            browser.get("about:blank")
            results[run_id]["second"] = open_gallery(browser, url, run_id, last)  # a new page load and session
        grids = len(list((run_dir / "samples").glob("epoch_*.png")))
        gif = next((run_dir / "gif").glob("*.gif"))
        results[run_id].update(grids=grids, gif_mb=round(gif.stat().st_size / 2**20, 2))
        print(run_id, json.dumps(results[run_id]), flush=True)


if __name__ == "__main__":
    main()
