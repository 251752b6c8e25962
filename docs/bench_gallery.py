"""What a Gallery slider step costs on a 300-epoch run, and the animation's first and later views.

    .venv/bin/python docs/bench_gallery.py [--epochs 300] [--steps 20]

Trains a real run (MLP GAN on digits, no metrics) from the CLI in a throwaway
workspace, then measures:
- server time per slider step: AppTest reruns the whole Gallery script for each
  step (a real browser reruns only the epoch fragment, so this is an upper bound);
- browser round trip per step in headless Chromium: arrow key on the slider until
  the grid's caption names the new epoch (network and rendering included);
- building the training GIF the first time and reading it the second time.
Each figure is a median over the steps, all taken in one run of the script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import chromium, run_genlib, served_app, settle, wait_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        t = time.time()
        run_genlib(home, "train", "--family", "gan", "--epochs", str(args.epochs), "--set", "eval_every=0")
        print(f"trained {args.epochs} epochs in {time.time() - t:.0f} s")
        os.environ["GENLAB_HOME"] = str(home)
        from genlib.explore import training_gif
        from genlib.runs import RunStore

        run = RunStore().list()[0]
        t = time.time()
        training_gif(run)
        first = time.time() - t
        t = time.time()
        path = training_gif(run)
        again = time.time() - t
        print(f"GIF: first build {first:.2f} s, later views {again * 1000:.1f} ms, {path.stat().st_size / 1e6:.1f} MB")

        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page("views/gallery.py").run()
        slider = f"epoch_{run.id}"
        times = []
        for i in range(args.steps):
            t = time.perf_counter()
            at.select_slider(key=slider).set_value(args.epochs - 1 - i).run()
            times.append(time.perf_counter() - t)
            assert not at.exception, at.exception
        print(
            f"server, whole Gallery script per slider step: median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s over {len(times)} steps"
        )

        with served_app(home) as url, chromium(Path(tmp) / "profile", 1400, 900) as driver:
            from selenium.webdriver.common.keys import Keys

            driver.get(url + "/gallery")
            try:
                wait_for(driver, "[data-testid='stSlider'] input[type='range']", timeout=120)
            except AssertionError:
                driver.save_screenshot("/tmp/bench_gallery_fail.png")
                raise
            settle(driver, 3)
            from selenium.webdriver.common.action_chains import ActionChains

            handle = wait_for(driver, "[data-testid='stSlider'] input[type='range']")[0]
            driver.execute_script("arguments[0].focus()", handle)  # a visually hidden range input
            trips = []
            for i in range(args.steps):
                want = f"epoch {args.epochs - 1 - i}"
                t = time.perf_counter()
                ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
                while not driver.execute_script(f"return document.body.innerText.includes('{want}')"):
                    time.sleep(0.01)
                trips.append(time.perf_counter() - t)
            print(
                f"browser round trip per slider step: median {statistics.median(trips):.3f} s, "
                f"max {max(trips):.3f} s over {len(trips)} steps"
            )


if __name__ == "__main__":
    main()
