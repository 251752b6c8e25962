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
    wait_for_one,
    wait_text,
)

pytestmark = browser_marks()


def nudge_slider(driver, label: str, steps: int) -> None:
    """Move the slider labelled ``label`` right by ``steps`` with the keyboard, as a person can."""
    box = wait_for_one(
        driver, "[data-testid='stSlider']", lambda s: s.text.strip().startswith(label), f"slider {label!r}"
    )
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


def test_five_minute_preset_with_top_k_trains_from_the_app_while_another_browser_keeps_its_own_choices(tmp_path):
    """The preset measured best for 5 minutes, with the top-k share changed, reaches config.json and the saved
    model; a second browser sees the run but keeps its own (default) model choices."""
    from genlib.explore import load_run_model
    from genlib.models import get_family

    home = tmp_path / "home"
    store = RunStore(home / "runs")
    preset = get_family("dcgan").preset_notes["five-minute"]
    with served_app(home) as url, chromium(tmp_path / "a") as driver, chromium(tmp_path / "b") as other:
        driver.get(url)
        other.get(url)
        wait_text(driver, "Augmentation")

        click_nav(driver, "Model")
        click_button(driver, "DCGAN")
        choose(driver, "Preset", f"five-minute · {preset}")
        wait_text(driver, "digits · DCGAN · five-minute")
        assert driver.find_element(By.CSS_SELECTOR, "input[aria-label='Latent size']").get_attribute("value") == "6"
        type_number(driver, "Top-k: share G learns from", 0.75)
        wait_text(driver, "digits · DCGAN · five-minute + 1 change")

        wait_text(other, "Augmentation")
        click_nav(other, "Model")
        wait_text(other, "Hyperparameters")
        assert "five-minute" not in body_text(other)  # choices belong to a session, not to the URL

        click_nav(driver, "Train")
        type_number(driver, "Epochs", 2)
        type_number(driver, "Metrics every N epochs", 0)
        click_button(driver, "Start training")
        wait_text(driver, "Queued")
        wait_text(driver, "completed", timeout=300)

        (run,) = store.list()
        model = json.loads(run.config_path.read_text())["model"]
        assert model["latent_dim"] == 6 and model["filters"] == 32 and model["top_k"] == 0.75
        assert (model["label_smoothing"], model["learning_rate"], model["ema"]) == (0.1, 4e-4, 0.999)
        trained = load_run_model(run, "last")
        assert trained.config.latent_dim == 6
        assert float(trained.top_k_share.numpy()) == 0.75  # past half the run: down to the chosen share

        click_nav(other, "Gallery")  # the other session finds the run there, newest first
        wait_text(other, "Samples by epoch")
        assert run.id in other.page_source
        click_nav(other, "Model")
        wait_text(other, "Hyperparameters")
        assert "five-minute" not in body_text(other) and "Traceback" not in body_text(other)
