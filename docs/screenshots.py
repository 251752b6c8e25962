"""Screenshot every page in headless Chromium into docs/screenshots/.

    .venv/bin/python docs/screenshots.py

Uses a throwaway workspace with one short MLP GAN run on digits.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, served_app, wait_for  # noqa: E402

PAGES = ["data", "model", "train", "gallery", "runs", "evaluate"]


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env_cmd = [sys.executable, "-m", "genlib", "train", "--dataset", "digits", "--family", "gan", "--epochs", "40"]
        subprocess.run(
            env_cmd,
            cwd=ROOT,
            check=True,
            env={"GENLAB_HOME": str(home), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
        )
        run_id = next((home / "runs").iterdir()).name
        subprocess.run(
            [sys.executable, "-m", "genlib", "eval", run_id, "--n", "2000"],
            cwd=ROOT,
            check=True,
            env={"GENLAB_HOME": str(home), "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
        )
        with served_app(home) as url, chromium(Path(tmp) / "profile", 1400, 1100) as driver:
            for page in PAGES:
                driver.get(f"{url}/{page}")
                wait_for(driver, "h1")
                time.sleep(6)  # charts and images settle
                driver.save_screenshot(str(out / f"{page}.png"))
                print("wrote", out / f"{page}.png")


if __name__ == "__main__":
    main()
