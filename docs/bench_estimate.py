"""How close is the Model page's time per epoch to the real one? Rough guess and measurement vs training.

    .venv/bin/python docs/bench_estimate.py

For each family preset on `digits` and `shapes` (batch 128): the rough FLOP-based
guess (genlib.explore.estimate_cost), the measurement the page's Measure button
makes (genlib.training.speed.measure, in this process), and the real wall time
between the ends of epochs 2 and 3 of a 3-epoch training run, checkpoint and
sample grid included. Prints one line per config and the worst ratio of each.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    os.environ["GENLAB_HOME"] = tempfile.mkdtemp()
    from genlib.training.backends import import_quietly

    import_quietly()
    from genlib.choices import Choices
    from genlib.data import load_dataset
    from genlib.explore import estimate_cost
    from genlib.models import create_model, get_family, list_families
    from genlib.runs import RunStore
    from genlib.training import Trainer
    from genlib.training.speed import measure

    worst = {"guess": 1.0, "measured": 1.0}
    for dataset in ("digits", "shapes"):
        n = len(load_dataset(dataset))
        for family in list_families():
            for preset in get_family(family).presets:
                config = Choices(dataset, family, preset, train={"epochs": 3, "eval_every": 0}).build()
                model = create_model(family, get_family(family).config_class.from_dict(config["model"]))
                guess = estimate_cost(model, n, 128)["seconds_per_epoch"]
                measured = measure(config)["seconds_per_epoch"]
                run = RunStore().create(config)
                Trainer(run).fit()
                ends = [r["time"] for r in run.metrics("epoch")]
                real = ends[2] - ends[1]
                ratios = {"guess": guess / real, "measured": measured / real}
                for k, v in ratios.items():
                    worst[k] = max(worst[k], v, 1 / v)
                print(
                    json.dumps(
                        {
                            "dataset": dataset,
                            "config": f"{family}/{preset}",
                            "real_s": round(real, 3),
                            "guess_s": round(guess, 3),
                            "measured_s": round(measured, 3),
                            **{f"{k}/real": round(v, 2) for k, v in ratios.items()},
                        }
                    ),
                    flush=True,
                )
    print(f"worst factor off: guess {worst['guess']:.2f}x, measured {worst['measured']:.2f}x")


if __name__ == "__main__":
    main()
