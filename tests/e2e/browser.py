"""Helpers to serve the app with `streamlit run` and drive Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")


def browser_marks() -> list:
    """pytestmark for modules that drive Chromium: marked e2e, skipped (with the reason) without it."""
    import pytest

    reason = "needs Debian's chromium and chromium-driver (.ci/run installs them)"
    return [pytest.mark.e2e, pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason=reason)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_genlib(home: Path, *args: str) -> None:
    """`python -m genlib ARGS` in the workspace ``home``; its output is shown only if it fails."""
    cmd = [sys.executable, "-m", "genlib", *args]
    env = {"GENLAB_HOME": str(home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


@contextlib.contextmanager
def served_app(
    home: Path,
    timeout: float = 90.0,
    address: str = "127.0.0.1",
    env_extra: dict | None = None,
    script: Path = ROOT / "app.py",
):
    """Run `streamlit run app.py` (or another ``script``, from its folder) on a free port of ``address``;
    yield its URL."""
    port = free_port()
    env = {**os.environ, "GENLAB_HOME": str(home), **(env_extra or {})}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script.name,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        address,
        "--server.allowedHosts",
        address,
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(cmd, cwd=script.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{address}:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        stop_workspace_processes(home)


def stop_workspace_processes(home: Path) -> None:
    """End the worker and warm process the app started for ``home``: they outlive the server on
    purpose (a queue goes on through a restart), but not a test's or a benchmark's workspace."""
    wanted = f"GENLAB_HOME={home}".encode()
    for proc in Path("/proc").iterdir():
        try:
            if b"genlib" in (proc / "cmdline").read_bytes() and wanted in (proc / "environ").read_bytes().split(b"\0"):
                os.kill(int(proc.name), 15)
        except (OSError, ValueError):
            continue


@contextlib.contextmanager
def chromium(profile: Path, width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, timeout: float = 120.0, count: int = 1):
    """Wait until ``count`` elements match ``css``; return them."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while time.time() < deadline:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {css!r} after {timeout:.0f} s")


# -- acting as a person would: labels and visible text, not internals ------------------
def body_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def wait_for_one(driver, css: str, match, what: str, timeout: float = 60.0):
    """The first element matching ``css`` for which ``match(element)`` holds, waiting for it to be drawn.

    A page draws its widgets one after another, so waiting for any ``css`` element is not enough."""
    deadline = time.time() + timeout
    while True:
        for element in wait_for(driver, css, timeout=timeout):
            try:
                if match(element):
                    return element
            except Exception:  # redrawn between the query and the test: look again
                pass
        if time.time() > deadline:
            raise AssertionError(f"no {what} after {timeout:.0f} s; the page says:\n{body_text(driver)[:2000]}")
        time.sleep(0.5)


def wait_text(driver, text: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while text not in body_text(driver):
        if time.time() > deadline:
            raise AssertionError(f"{text!r} never appeared; the page says:\n{body_text(driver)[:3000]}")
        time.sleep(0.4)


def settle(driver, seconds: float = 1.0) -> None:
    """Wait until Streamlit is idle (no 'Running...' indicator), then a little longer."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + 60
    time.sleep(0.5)
    while driver.find_elements(By.CSS_SELECTOR, "[data-testid='stStatusWidget']") and time.time() < deadline:
        time.sleep(0.3)
    time.sleep(seconds)


def click_nav(driver, title: str) -> None:
    """Follow a navigation link, in the same session (a new URL would start a new one)."""
    links = wait_for(driver, "[data-testid='stTopNavLink'], [data-testid='stSidebarNav'] a")
    link = next(a for a in links if a.text.strip().splitlines()[-1:] == [title])  # after the icon's name
    link.click()
    wait_for(driver, "h1")
    wait_text(driver, title)
    settle(driver)


def click_button(driver, text: str, timeout: float = 20.0) -> None:
    """Click the visible button labelled ``text``, retrying while a live fragment redraws it
    (an element found a moment ago can be gone when it is read or clicked)."""
    from selenium.common.exceptions import StaleElementReferenceException

    deadline = time.time() + timeout
    while True:
        try:
            button = next(
                b for b in wait_for(driver, "button") if text in b.text.strip().splitlines() and b.is_displayed()
            )
            button.click()
            break
        except (StaleElementReferenceException, StopIteration):
            if time.time() > deadline:
                raise
            time.sleep(0.3)
    settle(driver)


def choose(driver, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    from selenium.webdriver.common.by import By

    box = wait_for_one(
        driver, "[data-testid='stSelectbox']", lambda b: b.text.splitlines()[0].strip() == label, f"select {label!r}"
    )
    box.find_element(By.CSS_SELECTOR, "input").click()
    time.sleep(0.5)
    item = wait_for_one(
        driver, "[role='option']", lambda o: o.text.strip().split(" (")[0] == option, f"option {option!r}"
    )
    item.click()
    settle(driver)


def type_number(driver, label: str, value) -> None:
    """Type into the number (or text) input labelled ``label`` and press Enter."""
    from selenium.webdriver.common.keys import Keys

    field = wait_for(driver, f"input[aria-label='{label}']")[0]
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value), Keys.ENTER)
    settle(driver)


def open_expander(driver, title: str) -> None:
    """Open the expander whose heading ends with ``title``."""
    summary = wait_for_one(
        driver, "[data-testid='stExpander'] summary", lambda e: e.text.strip().endswith(title), f"expander {title!r}"
    )
    summary.click()
    settle(driver)
