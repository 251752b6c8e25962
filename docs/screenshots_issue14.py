"""Screenshot of the Gallery's Export section after a successful ONNX export and a bundle, in headless
Chromium, into docs/screenshots/gallery-export.png (cropped to the section).

    .venv/bin/python docs/screenshots_issue14.py
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from docs.screenshots import full_height  # noqa: E402
from tests.e2e.browser import chromium, click_button, click_nav, run_genlib, served_app, settle, wait_text  # noqa: E402
from tests.e2e.test_exports import pick_radio  # noqa: E402


def main() -> None:
    out = ROOT / "docs" / "screenshots" / "gallery-export.png"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        run_genlib(home, "train", "--family", "cgan", "--preset", "fast", "--epochs", "5", "--set", "eval_every=1")
        with served_app(home) as url, chromium(Path(tmp) / "profile", 1400, 900) as driver:
            driver.get(url)
            click_nav(driver, "Gallery")
            wait_text(driver, "Nothing exported from this run yet.")
            pick_radio(driver, "ONNX")
            click_button(driver, "Export")
            wait_text(driver, "Exported to onnx-best", timeout=180)
            pick_radio(driver, "Run bundle (.zip)")
            click_button(driver, "Export")
            wait_text(driver, "Run bundle ·", timeout=240)
            settle(driver, 2)
            time.sleep(2)
            driver.set_window_size(1400, min(full_height(driver) + 120, 8000))
            time.sleep(2)
            top = driver.execute_script(
                "const h = [...document.querySelectorAll('h3')].find(e => e.textContent.trim() === 'Export');"
                "return h.getBoundingClientRect().top + window.scrollY;"
            )
            full = Path(tmp) / "full.png"
            driver.save_screenshot(str(full))
            image = Image.open(full)
            ratio = image.width / 1400
            image.crop((0, max(int((top - 150) * ratio), 0), image.width, image.height)).save(out)
            print("wrote", out)


if __name__ == "__main__":
    main()
