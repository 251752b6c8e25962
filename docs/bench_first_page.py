"""Seconds from a fresh server answering to its first page complete in a browser (issue 15).

    .venv/bin/python docs/bench_first_page.py [--tries 3] [--write docs/BENCHMARKS.md]

Each try starts ``streamlit run app.py`` on an empty workspace, waits for its health check,
then opens the app in headless Chromium and polls every 50 ms until the Data page is complete:
its title, the sample grid image, and no "running" indicator. Also reports whether the server
process has loaded TensorFlow by then (it should not: the first page never needs it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARK = "first-page-benchmark"


def tensorflow_loaded(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "_pywrap_tensorflow" in maps or "libtensorflow" in maps


def server_pid(port: int) -> int:
    """The streamlit process serving ``port`` (its command line names the port)."""
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"streamlit" in b" ".join(args) and str(port).encode() in args:
            return int(proc.name)
    raise SystemExit(f"no streamlit process on port {port}")


def one_try() -> tuple[float, bool]:
    from selenium.webdriver.common.by import By

    from tests.e2e.browser import chromium, served_app

    with tempfile.TemporaryDirectory() as home, chromium(Path(home) / "profile") as driver:
        with served_app(Path(home) / "ws") as url:
            started = time.time()
            driver.get(url)
            while True:
                heading = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h1")]
                images = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stImage'] img")
                busy = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']")
                if any("Data" in h for h in heading) and images and not busy:
                    break
                if time.time() - started > 120:
                    raise SystemExit("the Data page did not complete in 120 s")
                time.sleep(0.05)
            seconds = time.time() - started
            return seconds, tensorflow_loaded(server_pid(int(url.rsplit(":", 1)[1])))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--write")
    args = parser.parse_args()
    got = [one_try() for _ in range(args.tries)]
    for seconds, tf in got:
        print(f"first page complete after {seconds:.2f} s; TensorFlow in the server: {tf}", flush=True)
    times = [s for s, _ in got]
    text = (
        f"A fresh server on an empty workspace: from its health check answering to the Data page complete "
        f"in headless Chromium (title, sample grid, nothing running): median **{statistics.median(times):.2f} s** "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.tries} tries). TensorFlow loaded in the server "
        f"process by then: {'yes' if any(tf for _, tf in got) else 'no'}. "
        "Command: `.venv/bin/python docs/bench_first_page.py --write docs/BENCHMARKS.md`."
    )
    from docs.markers import publish

    publish(text, args.write, MARK, "The first page (issue 15)")


if __name__ == "__main__":
    main()
