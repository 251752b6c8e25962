"""Screenshot every page in headless Chromium into docs/screenshots/.

    .venv/bin/python docs/screenshots.py

Uses a throwaway workspace with one short MLP GAN run on digits.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, run_genlib, served_app, wait_for  # noqa: E402

PAGES = ["data", "model", "train", "gallery", "runs", "evaluate"]


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        run_genlib(home, "train", "--dataset", "digits", "--family", "gan", "--epochs", "40")
        run_id = next((home / "runs").iterdir()).name
        run_genlib(home, "eval", run_id, "--n", "2000")
        with served_app(home) as url, chromium(Path(tmp) / "profile", 1400, 1100) as driver:
            for page in PAGES:
                driver.get(f"{url}/{page}")
                wait_for(driver, "h1")
                time.sleep(6)  # charts and images settle
                driver.save_screenshot(str(out / f"{page}.png"))
                print("wrote", out / f"{page}.png")


if __name__ == "__main__":
    main()
