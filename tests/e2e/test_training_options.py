"""The walk with the tutorials' training options, in real browsers: augmentation on Data, a progressive
DCGAN with DiffAugment on Model, early stopping and 16-image grids on Train; the result on disk; the
Gallery's stages and best model; a second browser watching while the first trains the run further."""

import json

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from genlib.runs import RunStore
from tests.e2e.browser import (
    body_text,
    browser_marks,
    choose,
    chromium,
    click_button,
    click_nav,
    open_expander,
    served_app,
    settle,
    type_number,
    wait_for,
    wait_text,
)

pytestmark = browser_marks()


def nudge_slider(driver, label: str, steps: int) -> None:
    """Move the slider labelled ``label`` right by ``steps`` with the keyboard, as a person can."""
    box = next(s for s in wait_for(driver, "[data-testid='stSlider']") if s.text.splitlines()[0].strip() == label)
    thumb = box.find_element(By.CSS_SELECTOR, "[tabindex='0']")  # the thumb: focusable, moved by arrow keys
    driver.execute_script("arguments[0].focus()", thumb)
    ActionChains(driver).send_keys(*[Keys.ARROW_RIGHT] * steps).perform()
    settle(driver, 1.5)


def test_augmented_progressive_run_with_early_stopping_from_the_app(tmp_path):
    home = tmp_path / "home"
    store = RunStore(home / "runs")
    with served_app(home) as url, chromium(tmp_path / "a") as driver:
        driver.get(url)
        wait_text(driver, "Augmentation")
        nudge_slider(driver, "Rotate (degrees, either way)", 2)
        wait_text(driver, "three random draws of rotate ±10°")
        assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid='stImage'] img")) >= 2

        click_nav(driver, "Model")
        click_button(driver, "DCGAN")
        choose(driver, "Preset", "progressive · half size for the first half of the epochs, then full size")
        choose(driver, "DiffAugment", "translation,cutout")
        wait_text(driver, "digits · DCGAN")

        click_nav(driver, "Train")
        type_number(driver, "Epochs", 4)
        type_number(driver, "Metrics every N epochs", 1)
        open_expander(driver, "More options: early stopping, grids, TensorBoard, warm start")
        type_number(driver, "Early stopping (evaluations)", 3)
        click_button(driver, "16")
        click_button(driver, "Start training")
        wait_text(driver, "Queued")
        wait_text(driver, "completed", timeout=300)

        (run,) = store.list()
        config = json.loads(run.config_path.read_text())
        assert config["train"]["augment_rotate"] == 10 and config["train"]["early_stopping"] == 3
        assert config["train"]["grid_size"] == 16 and config["train"]["epochs"] == 4
        assert config["model"]["progressive"] == 0.5 and config["model"]["diff_augment"] == "translation,cutout"
        status = run.status()
        assert status["grown_at"] == 3 and run.best_path.is_file() and status["best"]["epoch"] <= 4
        assert [p.name for p in run.sample_paths()] == [f"epoch_000{i}.png" for i in (1, 2, 3, 4)]

        click_nav(driver, "Gallery")
        wait_text(driver, "epoch 4 · stage 2: full size")
        wait_text(driver, f"Best (epoch {status['best']['epoch']}")
        assert "Traceback" not in body_text(driver)

        # A second person opens the same URL and watches the run while the first trains it further.
        with chromium(tmp_path / "b") as other:
            other.get(url)
            wait_text(other, "Augmentation")
            click_nav(other, "Gallery")
            wait_text(other, "stage 2: full size")

            click_nav(driver, "Train")
            click_button(driver, "More epochs")
            type_number(driver, "Train to epoch", 6)
            click_button(driver, "Train to this epoch")
            wait_text(driver, "epoch 6/6", timeout=300)
            wait_text(driver, "completed", timeout=300)
            assert [r["epoch"] for r in run.metrics("epoch")] == [1, 2, 3, 4, 5, 6]
            assert json.loads(run.config_path.read_text())["train"] == {**config["train"], "epochs": 6}

            other.refresh()
            wait_text(other, "Gallery")
            settle(other, 2)
            assert "Traceback" not in body_text(other)
            assert run.sample_path(6).is_file()
