"""Screenshots of the tutorials' training options, in headless Chromium, into docs/screenshots/:

- data-augment.png: the Data page's augmentation preview (rotate 15°, zoom 10%, shift 10%, contrast 20%);
- model-resnet.png: the Model page with a ResNet DCGAN with self-attention at 4x4 on digits;
- gallery-progressive.png: the Gallery of a progressive DCGAN, on a half-size epoch and then on a full-size one.

    .venv/bin/python docs/screenshots_issue13.py

The choices arrive through the page address, as a shared link would carry them.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.screenshots import full_height  # noqa: E402
from tests.e2e.browser import chromium, click_nav, run_genlib, served_app, settle, wait_for, wait_text  # noqa: E402


def shot(driver, path: Path, width: int = 1400) -> None:
    time.sleep(3)
    driver.set_window_size(width, min(full_height(driver) + 120, 6000))
    time.sleep(1.5)
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 900)
    print("wrote", path)


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        run_genlib(
            home,
            "train",
            "--family",
            "dcgan",
            "--preset",
            "progressive",
            "--epochs",
            "12",
            "--set",
            "eval_every=2",
            "--set",
            "augment_rotate=10",
        )
        with served_app(home) as url, chromium(Path(tmp) / "profile", 1400, 900) as driver:
            query = "augment_rotate=15&augment_scale=0.1&augment_translate=0.1&augment_contrast=0.2"
            driver.get(f"{url}/?{query}")
            wait_text(driver, "three random draws")
            settle(driver, 2)
            shot(driver, out / "data-augment.png")
            driver.get(f"{url}/model?family=dcgan&preset=resnet&attention=4")
            wait_text(driver, "Hyperparameters")
            wait_text(driver, "Generator ·", timeout=180)  # the layer tables are drawn on a canvas
            settle(driver, 2)
            shot(driver, out / "model-resnet.png")
            click_nav(driver, "Gallery")
            wait_text(driver, "stage 2: full size")
            shot(driver, out / "gallery-progressive.png")
            from selenium.webdriver.common.action_chains import ActionChains
            from selenium.webdriver.common.by import By
            from selenium.webdriver.common.keys import Keys

            thumb = wait_for(driver, "[data-testid='stSlider'] [tabindex='0']")[0]
            driver.execute_script("arguments[0].focus()", thumb)
            ActionChains(driver).send_keys(Keys.HOME).perform()
            settle(driver, 2)
            wait_text(driver, "progressive stage 1")
            driver.find_element(By.TAG_NAME, "body")
            shot(driver, out / "gallery-progressive-stage1.png")


if __name__ == "__main__":
    main()
