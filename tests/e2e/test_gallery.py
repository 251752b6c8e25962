"""The Gallery in a real browser: a click on the loss curve picks that epoch's grid, and the grid downloads."""

import time

import numpy as np

from genlib.images import make_grid, save_png
from tests.app.test_changes_underneath import fake_run
from tests.e2e.browser import browser_marks, chromium, served_app, settle, wait_for, wait_text

pytestmark = browser_marks()


def grid_caption(driver) -> str:
    """The caption under the epoch grid (not the chart's hover label, which also says 'epoch N')."""
    captions = driver.find_elements("css selector", "[data-testid='stImageCaption']")
    return captions[0].text.strip() if captions else ""


def test_a_click_on_the_curve_shows_that_epoch_and_its_grid_downloads(workspace, tmp_path):
    run = fake_run("clicky", 12)
    for e in range(1, 13):  # a different grid per epoch, so the download names its epoch by its bytes
        save_png(make_grid(np.full((4, 8, 8, 1), e * 20, np.uint8), ncols=2), run.sample_path(e))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with served_app(workspace) as url, chromium(tmp_path / "profile") as driver:
        driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        driver.get(url + "/gallery")
        wait_text(driver, "Click a point")
        settle(driver)
        assert grid_caption(driver) == "epoch 12"  # the newest first

        from selenium.webdriver.common.action_chains import ActionChains

        points = wait_for(driver, ".js-plotly-plot .scatterlayer .trace .points path", count=12)
        ActionChains(driver).move_to_element(points[4]).pause(0.3).click().perform()  # the first trace's epoch 5
        deadline = time.time() + 30
        while grid_caption(driver) != "epoch 5" and time.time() < deadline:
            time.sleep(0.3)
        assert grid_caption(driver) == "epoch 5"

        button = next(b for b in wait_for(driver, "button") if "Download this grid" in b.text)
        button.click()
        target = downloads / "clicky-epoch5.png"
        deadline = time.time() + 30
        while not target.is_file() and time.time() < deadline:
            time.sleep(0.3)
        assert target.read_bytes() == run.sample_path(5).read_bytes()
