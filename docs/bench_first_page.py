"""Seconds from a fresh server answering to its first page complete in a browser (issue 15).

    .venv/bin/python docs/bench_first_page.py [--tries 3] [--write docs/BENCHMARKS.md]

Each try starts ``streamlit run app.py`` on an empty workspace, waits for its health check,
then opens the app in headless Chromium and polls every 50 ms until the Data page is complete:
its title, the sample grid image, and no "running" indicator. Also reports whether the server
process has loaded TensorFlow by then (it should not: the first page never needs it). In turn
with each try, the same is timed for a floor: a Streamlit app with the same navigation whose page
is a title and one image, served the same way.
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


# The floor: the least a Streamlit page with the same navigation, a title and an image costs here.
FLOOR_APP = {
    "app.py": (
        "import streamlit as st\n"
        "pages = [st.Page('data.py', title='Data', default=True), st.Page('model.py', title='Model')]\n"
        "st.navigation(pages, position='top').run()\n"
    ),
    "data.py": (
        "import numpy as np\nimport streamlit as st\n\nst.title('Data')\nst.image(np.zeros((64, 64), np.uint8))\n"
    ),
    "model.py": "import streamlit as st\n\nst.title('Model')\n",
}


def one_try(floor: bool = False) -> tuple[float, bool]:
    from selenium.webdriver.common.by import By

    from tests.e2e.browser import chromium, served_app

    with tempfile.TemporaryDirectory() as home, chromium(Path(home) / "profile") as driver:
        script = ROOT / "app.py"
        if floor:
            for name, text in FLOOR_APP.items():
                (Path(home) / name).write_text(text)
            script = Path(home) / "app.py"
        with served_app(Path(home) / "ws", script=script) as url:
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
    got, floor = [], []
    for _ in range(args.tries):
        got.append(one_try())
        floor.append(one_try(floor=True)[0])
        print(
            f"first page complete after {got[-1][0]:.2f} s; TensorFlow in the server: {got[-1][1]}; "
            f"the floor page after {floor[-1]:.2f} s",
            flush=True,
        )
    times = [s for s, _ in got]
    text = (
        f"A fresh server on an empty workspace: from its health check answering to the Data page complete "
        f"in headless Chromium (title, sample grid, nothing running): median **{statistics.median(times):.2f} s** "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.tries} tries). TensorFlow loaded in the server "
        f"process by then: {'yes' if any(tf for _, tf in got) else 'no'}. In turn with these tries, a Streamlit "
        f"app with the same navigation whose page is a title and one image: median "
        f"**{statistics.median(floor):.2f} s** (what any page costs here). "
        "Command: `.venv/bin/python docs/bench_first_page.py --write docs/BENCHMARKS.md`."
    )
    from docs.markers import publish

    publish(text, args.write, MARK, "The first page (issue 15)")


if __name__ == "__main__":
    main()
