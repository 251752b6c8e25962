"""Does watching a job in the app slow it down? Images/s of one job started from the app vs the CLI.

    .venv/bin/python docs/bench_app_vs_cli.py [--epochs 150] [--rounds 3]

Each round starts the job from the Train page in headless Chromium and keeps the
page open (its fragment refreshes every 2 s) until the job completes, then runs
the same config from the CLI. Rounds alternate which goes first, so drift on a
shared machine hits both sides. Throughput is the trainer's own figure
(images/s after the compiled first step, from status.json) over the whole job,
and the median of its epochs' images/s (metrics.jsonl), which leaves out the
browser's one-off work of loading the page and Plotly while the job starts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, run_genlib, served_app, wait_for  # noqa: E402


def run_dirs(home: Path) -> set[Path]:
    runs = home / "runs"
    return set(runs.iterdir()) if runs.is_dir() else set()


def wait_done(run_dir: Path, timeout: float = 1800) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            status = json.loads((run_dir / "status.json").read_text())
        except (OSError, ValueError):
            status = {}
        if status.get("state") in ("completed", "failed", "stopped", "interrupted"):
            return status
        time.sleep(1)
    raise TimeoutError(run_dir)


def rates(run_dir: Path) -> tuple[float, float]:
    """(images/s over the whole job, median images/s of its epochs after the first)."""
    status = wait_done(run_dir)
    per_epoch = status["steps_per_epoch"] * status["batch_size"]
    epochs = []
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "epoch" and record["epoch"] > 1:
            epochs.append(per_epoch / record["seconds"])
    return status["images_per_s"], statistics.median(epochs)


def from_app(home: Path, profile: Path, epochs: int) -> tuple[tuple[float, float], dict]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    before = run_dirs(home)
    with served_app(home) as url, chromium(profile) as driver:
        driver.get(url + "/train")
        summary = wait_for(driver, "[data-testid='stExpander'] summary")[0]
        time.sleep(1)
        boxes = driver.find_elements(By.CSS_SELECTOR, "input[aria-label='Epochs']")
        if not (boxes and boxes[0].is_displayed()):
            summary.click()  # "Start a new training job" is collapsed once runs exist
        box = wait_for(driver, "input[aria-label='Epochs']")[0]
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(str(epochs), Keys.ENTER)
        time.sleep(1)
        next(b for b in wait_for(driver, "button") if b.text.strip() == "Start training").click()
        deadline = time.time() + 60
        while not (new := run_dirs(home) - before):
            if time.time() > deadline:
                raise RuntimeError("the app did not start a run")
            time.sleep(0.5)
        run_dir = new.pop()
        wait_done(run_dir)  # the page stays open and keeps refreshing meanwhile
        wait_for(driver, ".js-plotly-plot")  # the page really was live
    config = json.loads((run_dir / "config.json").read_text())
    return rates(run_dir), config["train"]


def from_cli(home: Path, train: dict) -> tuple[float, float]:
    before = run_dirs(home)
    args = ["train"]
    for flag, key in (
        ("--dataset", "dataset"),
        ("--family", "family"),
        ("--preset", "preset"),
        ("--epochs", "epochs"),
        ("--batch-size", "batch_size"),
        ("--seed", "seed"),
    ):
        args += [flag, str(train[key])]
    run_genlib(home, *args)
    (run_dir,) = run_dirs(home) - before
    return rates(run_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    app, cli = [], []
    train = None
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for r in range(args.rounds):
            order = ("app", "cli") if r % 2 == 0 else ("cli", "app")
            for side in order:
                if side == "app":
                    rate, train = from_app(home, Path(tmp) / f"profile{r}", args.epochs)
                    app.append(rate)
                else:  # round 1 starts with the app, so the app's config is known here
                    cli.append(from_cli(home, train))
                whole, epoch = (app if side == "app" else cli)[-1]
                print(f"round {r + 1} {side:3}: {whole:6,.0f} img/s whole job, {epoch:6,.0f} median epoch", flush=True)
    job = f"{train['family']}/{train['preset']} on {train['dataset']}"
    job += f", {train['epochs']} epochs, batch {train['batch_size']}"
    print(f"job: {job}")
    for i, what in enumerate(("whole job", "median epoch")):
        a, c = statistics.median(x[i] for x in app), statistics.median(x[i] for x in cli)
        print(f"{what:12}: app {a:,.0f} img/s  cli {c:,.0f} img/s  ratio {a / c:.3f}")


if __name__ == "__main__":
    main()
