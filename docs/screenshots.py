"""Screenshot every page in headless Chromium into docs/screenshots/, at 1400x900 and 390x844.

    .venv/bin/python docs/screenshots.py

Uses a throwaway workspace with short runs of three families on digits (an MLP
GAN, a conditional GAN and a VAE) and their evaluations. Each picture is as wide
as the window and as tall as the whole page, so nothing below the fold is missed.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, click_nav, run_genlib, served_app, settle, wait_for  # noqa: E402

PAGES = ["Data", "Model", "Train", "Gallery", "Runs", "Evaluate"]
SIZES = {"1400": (1400, 900), "390": (390, 844)}


def full_height(driver) -> int:
    return driver.execute_script(
        "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
        "return Math.max(m.scrollHeight, document.body.scrollHeight);"
    )


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for family, epochs in (("vae", 15), ("cgan", 6), ("gan", 40)):
            run_genlib(home, "train", "--dataset", "digits", "--family", family, "--epochs", str(epochs))
        runs = sorted((home / "runs").iterdir())
        run_genlib(home, "eval", *(r.name for r in runs), "--n", "2000")
        with served_app(home) as url:
            for tag, (width, height) in SIZES.items():
                with chromium(Path(tmp) / f"profile-{tag}", width, height) as driver:
                    driver.get(url)
                    wait_for(driver, "h1")
                    settle(driver, 3)
                    for page in PAGES:
                        if page != "Data":
                            if tag == "390":  # the sidebar is folded away on a phone: go by address
                                driver.get(f"{url}/{page.lower()}")
                                wait_for(driver, "h1")
                                settle(driver)
                            else:
                                click_nav(driver, page)
                        time.sleep(4)  # charts and images settle
                        driver.set_window_size(width, min(full_height(driver) + 120, 6000))
                        time.sleep(1.5)
                        path = out / f"{page.lower()}-{tag}.png"
                        driver.save_screenshot(str(path))
                        driver.set_window_size(width, height)
                        print("wrote", path)


if __name__ == "__main__":
    main()
