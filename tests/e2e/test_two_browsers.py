"""Two people on the same URL: shared runs, separate choices, deletes that act once, runs vanishing."""

import time

import pytest

from genlib.runs import RunStore
from tests.app.test_changes_underneath import fake_run
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
    wait_text,
)

pytestmark = browser_marks()


def select_table_row(driver, row: int) -> None:
    """Tick the selection box at the left of a row of the Runs table (a canvas, so by position)."""
    from selenium.webdriver.common.action_chains import ActionChains

    grid = wait_for(driver, "[data-testid='stDataFrame']")[0]
    size = grid.size
    ActionChains(driver).move_to_element_with_offset(
        grid, -size["width"] // 2 + 18, -size["height"] // 2 + 35 + 35 * row + 17
    ).click().perform()
    settle(driver)


def delete_row(driver, row: int) -> str:
    """Select one row, confirm the delete; return the run id the dialog named."""
    from selenium.webdriver.common.by import By

    for _ in range(3):  # a click can land while the table redraws (it refreshes during a live run)
        select_table_row(driver, row)
        if "Delete" in body_text(driver):
            break
    click_button(driver, "Delete")
    dialog = wait_for(driver, "[data-testid='stPopoverBody']")[0]
    named = dialog.find_element(By.CSS_SELECTOR, "strong").text
    click_button(driver, "Yes, delete it")
    return named


@pytest.fixture
def no_jobs_left(workspace):
    """Stop what a failing test leaves training: jobs outlive the app server by design."""
    yield
    from genlib.runs import JobManager

    jobs = JobManager(RunStore())
    for run in jobs.active():
        jobs.stop(run.id)


def test_two_browsers_share_runs_but_not_choices_and_deletes_act_once(workspace, tmp_path, no_jobs_left):
    for i, epochs in enumerate((3, 5, 7)):
        fake_run(f"old-{i}", epochs)
    store = RunStore()
    with served_app(workspace) as url, chromium(tmp_path / "a") as a, chromium(tmp_path / "b") as b:
        a.get(url)
        wait_text(a, "Dataset")
        choose(a, "Dataset", "shapes")
        click_nav(a, "Train")
        wait_text(a, "shapes · MLP GAN")
        type_number(a, "Epochs", 10_000)
        type_number(a, "Metrics every N epochs", 0)
        click_button(a, "Start training")
        wait_text(a, "running", timeout=120)
        live = store.list()[0]

        b.get(url + "/train")
        wait_text(b, "digits · MLP GAN")  # B has its own choices
        assert "shapes" not in b.find_element("css selector", "[data-testid='stExpander']").text
        wait_text(b, "running")  # and sees A's live run, not as dead
        assert live.id in b.page_source  # the run picker shows it

        click_nav(b, "Runs")
        before = {r.id for r in store.list()}
        rows = [line for line in body_text(b).splitlines()]
        named = delete_row(b, 2)  # a middle row
        time.sleep(2)
        after = {r.id for r in store.list()}
        assert before - after == {named} and len(after) == len(before) - 1, (named, before, after)
        named = delete_row(b, len(after) - 1)  # the last row
        time.sleep(2)
        final = {r.id for r in store.list()}
        assert after - final == {named} and live.id in final
        assert "Traceback" not in body_text(b) and "IndexError" not in body_text(b), rows
        for _ in range(3):  # as in delete_row: the live table may redraw under the click
            select_table_row(b, 0)
            if "Open in Gallery" in body_text(b):
                break
        click_button(b, "Open in Gallery")
        wait_text(b, "Gallery")
        settle(b)
        assert store.list()[0].id in b.page_source  # the live run, with or without its first grid yet

        # A still trains, still sees its choices, and its live view never broke.
        wait_text(a, "running")
        assert "shapes · MLP GAN" in body_text(a) and "Something went wrong" not in body_text(a)
        click_button(a, "Stop")  # opens the confirmation
        click_button(a, "Yes, stop it")
        wait_text(a, "stopped", timeout=60)

        # A looks at a run in the Gallery; B deletes it; A's next step falls back, with a note.
        click_nav(a, "Gallery")
        doomed = next(r for r in store.list() if r.id != live.id)
        choose(a, "Run", doomed.id)
        store.delete(doomed.id)
        click_nav(a, "Train")
        text = body_text(a)
        assert "Traceback" not in text and "Something went wrong" not in text
        assert doomed.id not in [r.id for r in store.list()]


def test_a_link_opens_with_its_configuration(workspace, tmp_path):
    with served_app(workspace) as url, chromium(tmp_path / "c") as c:
        c.get(url + "/model?dataset=shapes&family=vae&preset=conv&latent_dim=8&epochs=2")
        wait_text(c, "shapes · VAE")
        settle(c)
        assert wait_for(c, "input[aria-label='Latent size']")[0].get_attribute("value") == "8"
        click_nav(c, "Train")
        assert wait_for(c, "input[aria-label='Epochs']")[0].get_attribute("value") == "2"
        assert "latent_dim=8" in c.current_url and "dataset=shapes" in c.current_url
