"""The walk a person takes, in a real browser: Data -> Model -> Train -> Gallery -> Evaluate -> Runs.

Each family is trained from the app with a non-default dataset and one changed
field, and the run's config.json on disk must hold exactly those choices. A
second browser on the same URL sees the runs but keeps its own choices.
"""

import json
import time

import numpy as np
import pytest

from genlib.runs import RunStore
from tests.e2e.browser import (
    body_text,
    browser_marks,
    choose,
    chromium,
    click_button,
    click_nav,
    served_app,
    settle,
    type_number,
    wait_for,
    wait_for_one,
    wait_text,
)

pytestmark = browser_marks()

# family -> (dataset, Model page field label, typed value, config field, expected value)
JOURNEYS = {
    "gan": ("shapes", "MLP GAN", "Latent size", 16, "latent_dim"),
    "dcgan": ("shapes", "DCGAN", "Filters", 8, "filters"),
    "cgan": ("tiny-set", "Conditional GAN", "Filters", 8, "filters"),
    "vae": ("shapes", "VAE", "Latent size", 4, "latent_dim"),
}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    home = tmp_path_factory.mktemp("journeys") / "home"
    with served_app(home) as url:
        yield url, home


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory):
    """A small labelled set a person might bring: 240 16x16 images of 3 classes, in one .npz."""
    rng = np.random.default_rng(0)
    labels = np.arange(240) % 3
    images = np.zeros((240, 16, 16), np.uint8)
    for i, k in enumerate(labels):
        images[i, 4 * k : 4 * k + 6, 2:14] = 255  # a bar whose height says the class
    images = np.clip(images.astype(int) + rng.integers(0, 40, images.shape), 0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("upload") / "tiny.npz"
    np.savez(path, images=images, labels=labels)
    return path


def import_in_browser(driver, path, name: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for_one(driver, "summary", lambda e: "Import a dataset" in e.text, "the import form").click()
    time.sleep(0.5)
    driver.find_element(By.CSS_SELECTOR, "input[type='file']").send_keys(str(path))
    time.sleep(1.5)
    type_number(driver, "Name for the new dataset", name)
    click_button(driver, "Import")
    wait_text(driver, f"Imported {name}")


def assert_no_traceback(driver, where: str) -> None:
    text = body_text(driver)
    assert "Traceback" not in text and "Something went wrong" not in text, f"{where}:\n{text[:2000]}"


@pytest.mark.parametrize("family", list(JOURNEYS))
def test_each_family_trains_from_the_app_with_the_choices_made_on_earlier_pages(
    family, app_url, tiny_npz, tmp_path, capsys
):
    url, home = app_url
    dataset, title, label, value, field = JOURNEYS[family]
    store = RunStore(home / "runs")
    before = {r.id for r in store.list()}
    with chromium(tmp_path / "profile") as driver:
        driver.get(url)
        wait_text(driver, "Dataset")
        settle(driver)
        if dataset == "tiny-set" and "tiny-set" not in body_text(driver):
            import_in_browser(driver, tiny_npz, "tiny-set")
        else:
            choose(driver, "Dataset", dataset)
        wait_text(driver, "Images per class")

        click_nav(driver, "Model")
        click_button(driver, title)
        type_number(driver, label, value)
        wait_text(driver, f"{dataset} · {title}")
        assert "Estimated time per epoch" in body_text(driver) or "Time per epoch" in body_text(driver)

        click_nav(driver, "Train")
        wait_text(driver, f"{dataset} · {title}")
        type_number(driver, "Epochs", 1)
        type_number(driver, "Metrics every N epochs", 0)
        click_button(driver, "Start training")
        wait_text(driver, "Queued")
        wait_text(driver, "completed", timeout=240)
        wait_for(driver, "[data-testid='stImage'] img", timeout=30)  # the epoch-1 grid

        new = [r for r in store.list() if r.id not in before]
        assert len(new) == 1, [r.id for r in new]
        config = json.loads(new[0].config_path.read_text())
        assert config["train"]["dataset"] == dataset and config["train"]["family"] == family
        assert config["train"]["epochs"] == 1 and config["train"]["eval_every"] == 0
        assert config["model"][field] == value
        assert new[0].sample_path(1).is_file() and new[0].status()["state"] == "completed"
        with capsys.disabled():  # into the test log, also in CI
            print(f"\n[journey] {family}: trained from the app on {dataset} with {field}={value}: {new[0].id}")

        for page in ("Gallery", "Evaluate", "Runs", "Data", "Model", "Train"):
            click_nav(driver, page)
            assert_no_traceback(driver, f"{family} {page}")
        assert f"{dataset} · {title}" in body_text(driver)  # still the choices made at the start
