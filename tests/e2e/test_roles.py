"""A room on one server: a presenter signs in, an attendee joins by name, a bystander only watches.

The attendee and the bystander reach the app through this machine's network
address, so the app sees them as other machines, as it would a room's laptops.
"""

import socket

import pytest

from genlib.runs import JobManager, RunStore
from tests.e2e.browser import (
    body_text,
    browser_marks,
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
PASSWORD = "room-42"


def lan_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def button_texts(driver) -> list[str]:
    """Every button's text, read in one go (a live page redraws between element lookups)."""
    return driver.execute_script("return [...document.querySelectorAll('button')].map(b => b.innerText)")


def type_into(driver, label: str, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field = wait_for(driver, f"input[aria-label='{label}']")[0]
    field.send_keys(Keys.CONTROL, "a")  # clear() leaves React's copy of the value behind
    field.send_keys(Keys.DELETE)
    field.send_keys(text)


@pytest.fixture
def no_jobs_left(workspace):
    yield
    jobs = JobManager(RunStore(), autostart=False)
    for run in jobs.active():
        jobs.stop(run.id)


def test_presenter_attendee_and_viewer_each_get_what_their_role_allows(workspace, tmp_path, no_jobs_left):
    address = lan_address()
    if address is None:
        pytest.skip("this machine has no network address to reach the app from 'another machine'")
    store = RunStore()
    with (
        served_app(workspace, address=address, env_extra={"GENLAB_PRESENTER_PASSWORD": PASSWORD}) as url,
        chromium(tmp_path / "presenter") as presenter,
        chromium(tmp_path / "ann") as ann,
        chromium(tmp_path / "bystander") as bystander,
    ):
        # Nobody is presenter by default once a password is set: the bystander only watches.
        bystander.get(url + "/train")
        wait_text(bystander, "You are watching")
        open_expander(bystander, "Start a new training job")
        start = [b for b in bystander.find_elements("css selector", "button") if b.text == "Start training"][0]
        assert not start.is_enabled()
        click_nav(bystander, "Data")
        wait_text(bystander, "Only the presenter imports datasets")

        # An attendee joins with a name and queues a run, with a title.
        ann.get(url + "/train")
        wait_text(ann, "You are watching")
        open_expander(ann, "Sign in")
        type_into(ann, "Your name", "Ann")
        click_button(ann, "Join to train")
        wait_text(ann, "Ann · trainer")
        type_number(ann, "Epochs", 10_000)
        type_number(ann, "Metrics every N epochs", 0)
        type_number(ann, "Title (optional)", "my first gan")
        click_button(ann, "Start training")
        wait_text(ann, "Queued")
        wait_text(ann, "running", timeout=120)
        run = store.list()[0]
        config = run.read_config()
        assert config["owner"] == "Ann" and config["title"] == "my first gan"
        assert config["train"]["epochs"] == 10_000
        ann.refresh()  # the name survives a reload (cookie)
        wait_text(ann, "Ann · trainer")

        # The bystander sees Ann's run live, with her name, and no Stop.
        click_nav(bystander, "Train")
        wait_text(bystander, "running")
        wait_text(bystander, "Ann")
        assert not any("Stop" in text.splitlines() for text in button_texts(bystander))

        # A wrong password is refused; the right one makes a presenter, who can stop Ann's run.
        presenter.get(url + "/train")
        open_expander(presenter, "Sign in")
        type_into(presenter, "Presenter password", "guess")
        click_button(presenter, "Sign in as presenter")
        wait_text(presenter, "wrong password")
        type_into(presenter, "Presenter password", PASSWORD)
        click_button(presenter, "Sign in as presenter")
        wait_text(presenter, "Account")  # the presenter's sidebar: name "presenter", and Account to sign out
        wait_text(presenter, "my first gan")
        click_button(presenter, "Stop")
        click_button(presenter, "Yes, stop it")
        wait_text(presenter, "stopped", timeout=90)
        assert run.status()["state"] == "stopped"
        settle(bystander, 3)
        assert "Traceback" not in body_text(bystander) + body_text(ann) + body_text(presenter)
