"""How long the Gallery of a long run takes to open, the first time and later times, in a real browser.

    python docs/bench_gallery_open.py HOME RUN_ID [RUN_ID ...]

HOME is a workspace holding the runs (docs/make_long_run.py makes 10,000-epoch
ones). For each run, a fresh app server on a workspace holding only that run (a
link to it, so the Gallery opens on it) and a fresh headless Chromium open /gallery.

The times are taken inside the page: a MutationObserver notes when the title,
the newest epoch's grid (its caption, with the image loaded) and the loss chart
appear, against the navigation's start. Polling the page through WebDriver
instead costs the browser about a second of CPU per visit on this machine and
skews what it measures. Visit 1 is the first after the server starts (it imports
TensorFlow); visits 2-6, 30 s later when the worker's warm process has done its
own import, are the same browser loading the page again (a new app session, the
browser's cache warm), reported as their median and worst.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, served_app  # noqa: E402

OBSERVER = """
window.__marks = {};
const last = %d;
const want = {
  title: () => document.querySelector('h1'),
  grid: () => [...document.querySelectorAll('[data-testid=stImageCaption]')].some(c =>
      c.textContent.trim() === 'epoch ' + last &&
      [...c.parentElement.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0)),
  chart: () => document.querySelector('.js-plotly-plot .scatterlayer .points path'),
};
function check() {
  for (const k in want) if (!(k in window.__marks) && want[k]()) window.__marks[k] = Math.round(performance.now());
}
new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
setInterval(check, 50);
"""


def visit(driver, url: str, timeout: float) -> dict:
    driver.get(url + "/gallery")
    deadline = time.time() + timeout
    marks = {}
    while time.time() < deadline and len(marks) < 3:
        time.sleep(1.0)
        marks = driver.execute_script("return window.__marks") or {}
    driver.get("about:blank")
    return {k: round(v / 1000, 2) for k, v in marks.items()}


def main() -> None:
    home, run_ids = Path(sys.argv[1]), sys.argv[2:]
    for run_id in run_ids:
        run_dir = home / "runs" / run_id
        shutil.rmtree(run_dir / "gif", ignore_errors=True)
        last = json.loads((run_dir / "status.json").read_text())["epoch"]
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "home" / "runs").mkdir(parents=True)
            (Path(tmp) / "home" / "runs" / run_id).symlink_to(run_dir.resolve())
            with served_app(Path(tmp) / "home") as url, chromium(Path(tmp) / "user") as browser:
                browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % last})
                first = visit(browser, url, 120)
                time.sleep(30)  # the first view also starts the worker's warm process (importing TensorFlow)
                later = [visit(browser, url, 60) for _ in range(5)]
        grids = len(list((run_dir / "samples").glob("epoch_*.png")))
        summary = {
            "grids": grids,
            "first": first,
            "later_median": {k: statistics.median(v[k] for v in later if k in v) for k in first},
            "later_worst": {k: max(v.get(k, float("inf")) for v in later) for k in first},
        }
        print(run_id, json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
