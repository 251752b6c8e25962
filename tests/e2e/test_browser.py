"""A real browser against `streamlit run app.py`: start a 1-epoch job and watch it finish."""

import time

import pytest

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, chromium, served_app, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="needs Debian's chromium and chromium-driver (.ci/run installs them)"
    ),
]


def test_train_page_runs_a_job_and_shows_samples_and_curves(tmp_path, workspace):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with served_app(workspace) as url, chromium(tmp_path / "profile") as driver:
        driver.get(url + "/train")
        epochs = wait_for(driver, "input[aria-label='Epochs']")[0]
        epochs.send_keys(Keys.CONTROL, "a")
        epochs.send_keys("1", Keys.ENTER)
        time.sleep(1)
        button = next(b for b in wait_for(driver, "button") if b.text.strip() == "Start training")
        button.click()
        wait_for(driver, "[data-testid='stImage'] img", timeout=180)  # the epoch-1 sample grid
        wait_for(driver, ".js-plotly-plot", timeout=60)  # the live loss chart
        time.sleep(2)
        shot = tmp_path / "train.png"
        driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "epoch 1/1" in text
