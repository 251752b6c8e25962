"""The export walk in real browsers: a conditional GAN chosen with a smaller latent space, trained from
the Train page, exported from the Gallery as ONNX and as a bundle; the files on disk; the metrics CSV
from the Runs page; a second browser that sees the exports appear and the run disappear."""

import json
import zipfile

from selenium.webdriver.common.by import By

from genlib.runs import RunStore
from tests.e2e.browser import (
    body_text,
    browser_marks,
    chromium,
    click_button,
    click_nav,
    served_app,
    settle,
    type_number,
    wait_for_one,
    wait_text,
)
from tests.e2e.test_two_browsers import select_table_row

pytestmark = browser_marks()


def pick_radio(driver, option: str) -> None:
    label = wait_for_one(driver, "[data-testid='stRadio'] label", lambda e: e.text.strip() == option, repr(option))
    label.click()
    settle(driver)


def test_export_from_the_gallery_while_another_browser_watches(tmp_path):
    home = tmp_path / "home"
    store = RunStore(home / "runs")
    with served_app(home) as url, chromium(tmp_path / "a") as driver:
        driver.get(f"{url}/model?family=cgan&preset=fast&latent_dim=24")  # a shared link's choices
        wait_text(driver, "digits · Conditional GAN")
        click_nav(driver, "Train")
        type_number(driver, "Epochs", 3)
        type_number(driver, "Metrics every N epochs", 1)
        click_button(driver, "Start training")
        wait_text(driver, "completed", timeout=300)
        (run,) = store.list()
        config = json.loads(run.config_path.read_text())
        assert config["model"]["latent_dim"] == 24 and config["train"]["epochs"] == 3
        assert list((run.path / "tensorboard").glob("events.out.tfevents.*"))  # on by default

        click_nav(driver, "Gallery")
        wait_text(driver, "Nothing exported from this run yet.")
        with chromium(tmp_path / "b") as other:  # a second person on the same URL, same run
            other.get(url)
            click_nav(other, "Gallery")
            wait_text(other, "Nothing exported from this run yet.")

            pick_radio(driver, "ONNX")
            click_button(driver, "Export")
            wait_text(driver, "Exported to onnx-best", timeout=180)
            manifest = json.loads((run.path / "exports" / "onnx-best" / "manifest.json").read_text())
            assert manifest["inputs"][0]["shape"] == [None, 24] and manifest["inputs"][1]["name"] == "labels"
            assert manifest["check"]["passed"] and manifest["check"]["runtime"] == "ONNX Runtime"
            wait_text(driver, f"max abs difference {manifest['check']['max_abs_diff']:.2g}")
            wait_text(other, "ONNX · best model", timeout=30)  # its list follows the other session's export

            pick_radio(driver, "Run bundle (.zip)")
            wait_text(driver, "Model formats in the bundle")
            click_button(driver, "Export")
            wait_text(driver, "Exported to", timeout=240)
            (bundle,) = (run.path / "exports").glob("*.zip")
            with zipfile.ZipFile(bundle) as zf:
                names = set(zf.namelist())
            expected = {"README.md", "metrics.csv", "training.gif", "savedmodel/manifest.json", "onnx/generator.onnx"}
            assert expected <= names
            wait_text(other, "Run bundle", timeout=30)
            assert len(other.find_elements(By.CSS_SELECTOR, "[data-testid='stDownloadButton']")) >= 3

            click_nav(driver, "Runs")
            for _ in range(3):  # the table may redraw under the click
                select_table_row(driver, 0)
                if "Metrics as CSV" in body_text(driver):
                    break
            wait_text(driver, "Metrics as CSV")

            # the run disappears under the second browser: its page says so and breaks nothing
            store.delete(run.id)
            other.refresh()
            settle(other, 3)
            assert "Traceback" not in body_text(other) and "Something went wrong" not in body_text(other)
            assert "Traceback" not in body_text(driver)
