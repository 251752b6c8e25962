"""Which family is better? Train each for the same wall-clock budget on the MNIST test set and score it.

    .venv/bin/python docs/bench_quality.py --mnist ../shared/data/mnist/t10k-images-idx3-ubyte.gz \\
        [--budget 60] [--seeds 3] [--families gan,dcgan,cgan,vae] [--write docs/BENCHMARKS.md]

The images are imported through genlib's IDX importer into a throwaway
workspace. Each (family, seed) trains in its own process (``python -m genlib
train``) with ``time_budget_s`` set, no metrics during training, then
``evaluate_run`` scores 10,000 samples with the dataset's evaluator. The table
(mean ± standard deviation over seeds) goes to stdout and, with ``--write``,
into the file between the ``quality-benchmark`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Each entry: a family and the settings it trains with (the same for every seed).
SETTINGS = {
    "gan": {"family": "gan", "preset": "seed-001", "batch_size": 64, "set": []},
    "dcgan": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": []},
    "dcgan-ema": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": ["ema=0.999"]},
    # The 5-minute recipe of docs/BENCHMARKS.md without its weight average: label smoothing, lr 4e-4, batch 64.
    "dcgan-ls": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004"],
    },
    "cgan": {"family": "cgan", "preset": "fast", "batch_size": 32, "set": []},
    # The GAN losses (genlib/models/losses.py) on the same DCGAN, each with its paper's optimizer settings.
    "loss-minimax": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": ["loss=minimax"]},
    "loss-non-saturating": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": []},
    "loss-lsgan": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": ["loss=lsgan"]},
    "loss-hinge": {"family": "dcgan", "preset": "fast", "batch_size": 32, "set": ["loss=hinge"]},
    "loss-hinge-sn": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 32,
        "set": ["loss=hinge", "spectral_norm=true"],
    },
    "loss-wgan": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 32,
        "set": ["loss=wgan", "optimizer=rmsprop", "learning_rate=5e-05", "n_critic=5"],
    },
    "loss-wgan-gp": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 32,
        "set": ["loss=wgan-gp", "learning_rate=0.0001", "beta_1=0.0", "beta_2=0.9", "n_critic=5"],
    },
    "vae": {"family": "vae", "preset": "conv", "batch_size": 64, "set": []},
    # Issue 13's architectures and augmentation, each on top of dcgan-ls (no weight average, which
    # progressive training does not combine with).
    "dcgan-da": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "diff_augment=translation,cutout"],
    },
    "dcgan-resnet": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "arch=resnet"],
    },
    "dcgan-progressive": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "progressive=0.5"],
    },
    # The 5-minute recipe (label smoothing, lr 4e-4, batch 64, weight average) and the same with a smaller z.
    "dcgan-recipe": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "ema=0.999"],
    },
    "dcgan-recipe-z16": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "ema=0.999", "latent_dim=16"],
    },
    "dcgan-recipe-z6": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "ema=0.999", "latent_dim=6"],
    },
    "dcgan-recipe-z8": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "ema=0.999", "latent_dim=8"],
    },
    # The same as dcgan-recipe-z6: the dcgan preset "five-minute".
    "dcgan-five-minute": {"family": "dcgan", "preset": "five-minute", "batch_size": 64, "set": []},
    "dcgan-da-ema": {
        "family": "dcgan",
        "preset": "fast",
        "batch_size": 64,
        "set": ["label_smoothing=0.1", "learning_rate=0.0004", "diff_augment=translation,cutout", "ema=0.999"],
    },
}
COLUMNS = ["fid", "inception_score", "is_share", "precision", "recall", "coverage", "balance", "nn_ratio"]


def train(home: Path, name: str, seed: int, budget: float) -> Path:
    s = SETTINGS[name]
    run_dir = home / "runs" / f"{name}-seed{seed}"
    cmd = [sys.executable, "-m", "genlib", "train", "--dataset", "mnist-test", "--family", s["family"]]
    cmd += ["--preset", s["preset"], "--batch-size", str(s["batch_size"]), "--seed", str(seed), "--epochs", "10000"]
    cmd += ["--set", f"time_budget_s={budget}", "--set", "eval_every=0", "--run-dir", str(run_dir)]
    for pair in s["set"]:
        cmd += ["--set", pair]
    env = {**os.environ, "GENLAB_HOME": str(home)}
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return run_dir


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    import tensorflow as tf

    return (
        f"{cpu}, {os.cpu_count()} cores, no GPU used, TensorFlow {tf.__version__}, Python {platform.python_version()}"
    )


def cell(values: list[float], key: str) -> str:
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    if key == "coverage":
        return f"{mean * 10:.1f} ± {spread * 10:.1f} /10"
    if key == "is_share":
        return f"{mean:.1%} ± {spread:.1%}"
    return f"{mean:.2f} ± {spread:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mnist", required=True, help="t10k-images-idx3-ubyte.gz (labels file beside it)")
    parser.add_argument("--budget", type=float, default=60.0, help="training seconds per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--families", default=",".join(SETTINGS), help="entries of SETTINGS to run")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--write", help="markdown file to put the table in, between the markers")
    parser.add_argument("--marker", default="quality-benchmark", help="name of the markers (one table per name)")
    args = parser.parse_args()
    families = args.families.split(",")
    start, end = f"<!-- {args.marker}:start -->", f"<!-- {args.marker}:end -->"

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["GENLAB_HOME"] = str(home)
        from genlib.data import import_dataset
        from genlib.metrics import evaluate_run, get_evaluator
        from genlib.runs import Run

        import_dataset(args.mnist, "mnist-test")
        ev = get_evaluator("mnist-test")  # trained once here, then shared through the cache
        results: dict[str, list[dict]] = {f: [] for f in families}
        for seed in range(args.seeds):
            for family in families:
                started = time.time()
                run = Run(train(home, family, seed, args.budget))
                result = evaluate_run(run, n=args.samples, report=lambda line: None)
                share = result["scores"]["inception_score"] / ev.baseline["inception_score"]
                results[family].append({**result["scores"], "is_share": share, "epoch": result["epoch"]})
                print(
                    f"{family:6} seed {seed}: epochs {result['epoch']:3}  FID {result['scores']['fid']:7.2f}  "
                    f"IS {result['scores']['inception_score']:.2f} ({share:.1%} of real)  "
                    f"coverage {result['scores']['coverage']:.0%}  "
                    f"({time.time() - started:.0f} s, eval {result['seconds']:.0f} s)",
                    flush=True,
                )

    head = (
        "| model | settings | epochs | FID ↓ | IS ↑ | IS / real ↑ | precision ↑ | recall ↑ | coverage ↑ | balance ↑ "
        "| NN ratio |"
    )
    lines = [head, "|" + "---|" * 11]
    for family in families:
        rows = results[family]
        s = SETTINGS[family]
        settings = f"`{s['family']}` `{s['preset']}`, batch {s['batch_size']}" + "".join(f", `{x}`" for x in s["set"])
        epochs = cell([r["epoch"] for r in rows], "epoch").replace(".00", "")
        lines.append(
            f"| {family} | {settings} | {epochs} | " + " | ".join(cell([r[k] for r in rows], k) for k in COLUMNS) + " |"
        )
    base = {**ev.baseline, "is_share": 1.0}
    lines.append(
        f"| real data (held-out half, {base['n']:,} images) | | | "
        + " | ".join(
            cell([base[k]], k).replace(" ± 0.0%", "").replace(" ± 0.00", "").replace(" ± 0.0", "") for k in COLUMNS
        )
        + " |"
    )
    command = (
        f"`.venv/bin/python docs/bench_quality.py --mnist ../shared/data/mnist/t10k-images-idx3-ubyte.gz "
        f"--budget {args.budget:g} --seeds {args.seeds} --families {args.families} --marker {args.marker} "
        f"--samples {args.samples} --write docs/BENCHMARKS.md`"
    )
    text = "\n".join(
        [
            start,
            f"{args.budget:g} s of training per run (compilation included), {args.seeds} seeds per family, "
            f"{args.samples:,} samples scored per run; mean ± standard deviation over seeds. "
            f"Evaluator: held-out accuracy {ev.accuracy:.1%}.",
            "",
            *lines,
            "",
            f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')} with {command}.",
            end,
        ]
    )
    print(text)
    if args.write:
        path = Path(args.write)
        old = path.read_text() if path.is_file() else "# Benchmarks\n\n"
        if start in old:
            new = old[: old.index(start)] + text + old[old.index(end) + len(end) :]
        else:
            new = old.rstrip() + f"\n\n## Quality for a fixed training budget ({args.marker})\n\n" + text + "\n"
        path.write_text(new)


if __name__ == "__main__":
    main()
