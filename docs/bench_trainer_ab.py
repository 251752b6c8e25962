"""The trainer's images/s for two checkouts, alternated in one run: the whole loop, not only the step.

    python docs/bench_trainer_ab.py OLD_CHECKOUT NEW_CHECKOUT [--rounds 3]

Each round trains the default DCGAN on `digits` for 4 epochs at batch 64 from the
command line (``python -m genlib train``, metrics off) in each checkout, old and
new taking turns going first; the last epoch's images/s are compared (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


def images_per_s(checkout: str) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GENLAB_HOME": home, "GENLAB_WORKER_WARM": "0"}
        cmd = [sys.executable, "-m", "genlib", "train", "--dataset", "digits", "--family", "dcgan", "--epochs", "4"]
        cmd += ["--batch-size", "64", "--set", "eval_every=0", "--run-dir", f"{home}/runs/r"]
        subprocess.run(cmd, cwd=checkout, env=env, check=True, capture_output=True)
        with open(f"{home}/runs/r/metrics.jsonl") as f:
            records = [json.loads(line) for line in f]
    return [r for r in records if r["kind"] == "epoch"][-1]["images_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rates = {"old": [], "new": []}
    for i in range(args.rounds):
        for name in ("old", "new") if i % 2 == 0 else ("new", "old"):
            rates[name].append(images_per_s(getattr(args, name)))
            print(f"round {i + 1} {name}: {rates[name][-1]:.0f} images/s", flush=True)
    old, new = statistics.median(rates["old"]), statistics.median(rates["new"])
    print(f"trainer, default dcgan on digits: old {old:.0f}, new {new:.0f} images/s; new/old = {new / old:.3f}")


if __name__ == "__main__":
    main()
