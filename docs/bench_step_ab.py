"""Images per second of one family's compiled training step, for two checkouts, alternated in one run.

    python docs/bench_step_ab.py OLD_CHECKOUT NEW_CHECKOUT [--family dcgan] [--rounds 3] [--seconds 15]

Each measurement is a fresh process in that checkout: the family's default preset on
28x28x1 random images, batch 128, the step the trainer compiles (tf.function; no XLA,
as the trainer on a CPU for runs under 300,000 images), three warm-up steps, then
steps for ``--seconds``. Old and new alternate, so a busy machine slows both alike;
the ratio new/old of the medians is printed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SNIPPET = """
import time, numpy as np
from genlib.models import create_model, make_config
from genlib.training.backends import backend
model = create_model({family!r}, make_config({family!r}, image_shape=(28, 28, 1), num_classes=10))
be = backend()
step = be.compile_step(model, False)
x = be.to_device(np.random.default_rng(0).uniform(-1, 1, (4096, 28, 28, 1)).astype("float32"))
y = be.to_device(np.random.default_rng(0).integers(0, 10, 4096).astype("int32"), "int32")
idx = [np.arange(128, dtype=np.int32) + 128 * i for i in range(32)]
for i in range(3):
    float(step(x, y, idx[i])["g_loss"])
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < {seconds}:
    logs = step(x, y, idx[n % 32]); n += 1
float(logs["g_loss"])
print(n * 128 / (time.perf_counter() - t0))
"""


def measure(checkout: str, family: str, seconds: float) -> float:
    code = SNIPPET.format(family=family, seconds=seconds)
    done = subprocess.run([sys.executable, "-c", code], cwd=checkout, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--family", default="dcgan")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    rates = {"old": [], "new": []}
    for i in range(args.rounds):
        for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
            rates[name].append(measure(getattr(args, name), args.family, args.seconds))
            print(f"round {i + 1} {name}: {rates[name][-1]:.0f} images/s", flush=True)
    old, new = statistics.median(rates["old"]), statistics.median(rates["new"])
    print(f"{args.family}: old {old:.0f}, new {new:.0f} images/s (medians of {args.rounds}); new/old = {new / old:.3f}")


if __name__ == "__main__":
    main()
