"""XLA or not, per family, on this machine's device: the table in genlib/training/backends/tensorflow.py.

    .venv/bin/python docs/bench_xla.py [--seconds 8] [--write docs/BENCHMARKS.md]

For each family, on the built-in ``shapes`` (32x32) at batch 128: the first step's seconds (tracing
plus compiling) and the steady images/s of the compiled step, with and without XLA. Three rounds,
the two variants interleaved within each round; medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARK = "xla-benchmark"


def measure(family: str, xla: bool, seconds: float) -> tuple[float, float]:
    from genlib.data import load_dataset
    from genlib.training.bench import _images_per_s, _model, dataset_step
    from genlib.training.config import TrainConfig

    ds = load_dataset("shapes")
    step = dataset_step(_model(family, TrainConfig(dataset="shapes", family=family)), ds, 128, xla)
    t = time.perf_counter()
    step()
    first = time.perf_counter() - t
    return first, _images_per_s(step, 128, seconds, warmup=3)


def main() -> None:
    from genlib.training.backends import backend, import_quietly
    from genlib.training.bench import FAMILIES

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--write")
    args = parser.parse_args()
    import_quietly()
    device = backend().device_info()["device"]
    lines = [
        f"`shapes` 32x32, batch 128, {device}; medians of 3 rounds, XLA and plain interleaved.",
        "",
        "| family | first step, plain | first step, XLA | plain img/s | XLA img/s | XLA / plain | long runs use |",
        "|---|---|---|---|---|---|---|",
    ]
    for family in args.families.split(","):
        got = {True: [], False: []}
        for _ in range(3):
            for xla in (False, True):
                got[xla].append(measure(family, xla, args.seconds))
        (f0, r0), (f1, r1) = ([statistics.median(x) for x in zip(*got[v], strict=True)] for v in (False, True))
        chosen = backend().use_xla(family, device, images=10**9)  # as for a long run
        use = "XLA" if chosen else "plain"
        lines.append(f"| {family} | {f0:.1f} s | {f1:.1f} s | {r0:,.0f} | {r1:,.0f} | {r1 / r0:.2f}x | {use} |")
        print(lines[-1], flush=True)
    lines += ["", f"Measured {time.strftime('%Y-%m-%d')}: `.venv/bin/python docs/bench_xla.py`."]
    text = "\n".join(lines)
    from docs.markers import publish

    publish(text, args.write, MARK, "XLA per family (issue 15)")


if __name__ == "__main__":
    main()
