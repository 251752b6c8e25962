"""Quality metrics computed offline, in the feature space of a classifier trained on the dataset.

    from genlib.metrics import evaluate_run
    result = evaluate_run(run, n=10_000)   # also stored as the run's eval.json

See :mod:`genlib.metrics.scores` for the formulas and
:mod:`genlib.metrics.evaluator` for the classifier and its cache.
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import GenlibError
from ..io import read_json, write_json
from .evaluator import Evaluator, EvaluatorError, get_evaluator
from .health import Finding, diagnose

__all__ = [
    "METRICS",
    "Evaluator",
    "EvaluatorError",
    "Finding",
    "diagnose",
    "eval_is_current",
    "evaluate_model",
    "evaluate_run",
    "get_evaluator",
    "nearest_pairs",
    "stored_eval",
]

# name -> (label with the better direction, one-line meaning); the order tables show them in.
METRICS = {
    "fid": ("FID (evaluator) ↓", "Fréchet distance of feature statistics to real images; 0 is identical."),
    "inception_score": ("Inception Score ↑", "Confident and varied classes; the real-data value is the ceiling."),
    "precision": ("Precision ↑", "Share of samples that look like real images (fidelity)."),
    "recall": ("Recall ↑", "Share of real images the samples cover (diversity)."),
    "coverage": ("Class coverage ↑", "Share of classes the model produces; below 1 means missing classes."),
    "balance": ("Class balance ↑", "1 minus the distance between the sampled and the real class mix."),
    "nn_ratio": (
        "NN ratio ≈1",
        "Distance to the nearest training image over real images' own; ≪1 copies, ≫1 off the data.",
    ),
    "copy_share": ("Near-copies ↓", "Share of samples closer to a training image than 99% of real images."),
}


def evaluate_model(model, ev: Evaluator, n: int = 10_000, seed: int = 12345) -> dict:
    """Scores for ``n`` samples of a trained model; conditional models get classes in turn.

    The seed is fixed and different from the training grid's, so numbers are
    reproducible and comparable between runs.
    """
    labels = np.arange(n) % ev.num_classes if model.conditional else None
    images = model.generate(n, seed=seed, labels=labels)
    return ev.score(images, requested_labels=labels)


def evaluate_run(
    run, n: int = 10_000, report=print, force: bool = False, inception: bool = False, which: str = "best"
) -> dict:
    """Evaluate a run's best model (else its last; or the last with ``which="last"``); stored as
    eval.json (eval-last.json for the last where a best exists) and reused.

    Returns ``{"scores", "baseline", "evaluator", "n", "epoch", "seconds", ...}``.
    A stored result is reused when it was computed on the same checkpoint with the
    same evaluator and sample count, unless ``force``. ``inception`` adds standard
    FID (InceptionV3, 2,000 samples each side) where its weights can be fetched.
    """
    if inception:
        from .inception import available

        if not available():
            raise GenlibError("standard FID needs InceptionV3's ImageNet weights, and this machine cannot fetch them")
    from ..explore import load_run_model

    cfg = run.read_config()
    model_path = run.trained_model_path(which)
    if model_path is None:
        raise GenlibError(f"run {run.id} has no trained model yet (no epoch finished)")
    ev = get_evaluator(cfg["train"]["dataset"], report=report)
    stamp = run.model_mtime(which)
    stored = stored_eval(run, which)
    current = eval_is_current(run, stored, which) and (stored.get("n"), stored.get("evaluator")) == (n, ev.digest)
    if current and not force and (not inception or "inception_fid" in stored["scores"]):
        return stored
    started = time.time()
    model = load_run_model(run, which)
    result = {
        "run_id": run.id,
        "dataset": cfg["train"]["dataset"],
        "family": cfg["train"]["family"],
        "epoch": int(model.trained_epochs.numpy()),
        "n": n,
        "scores": evaluate_model(model, ev, n),
        "baseline": ev.baseline,
        "evaluator": ev.digest,
        "evaluator_accuracy": ev.accuracy,
        "model_mtime": stamp,
        "model_file": model_path.name,
        "computed_at": time.time(),
    }
    if inception:
        from .inception import inception_fid

        report("computing standard FID with InceptionV3 (slow on a CPU)")
        real = ev.dataset.images[ev.reference[:2000]]
        result["scores"]["inception_fid"] = inception_fid(real, model.generate(min(n, 2000), seed=12345))
    result["seconds"] = round(time.time() - started, 2)
    write_json(_eval_path(run, which), result)
    return result


def nearest_pairs(model, ev: Evaluator, n: int = 1000, k: int = 8, seed: int = 12345):
    """The ``k`` of ``n`` samples closest to a training image, for a side-by-side look.

    Returns (samples, their nearest training images, pixel distances, the median
    distance of held-out real images to theirs) so a page can say what is close.
    """
    labels = np.arange(n) % ev.num_classes if model.conditional else None
    images = model.generate(n, seed=seed, labels=labels)
    dist, idx = ev.nearest_training(images)
    order = np.argsort(dist)[:k]
    return images[order], ev.dataset.images[idx[order]], dist[order], float(np.median(ev.real_nn))


def _eval_path(run, which: str):
    return run.path / ("eval-last.json" if which == "last" and run.best_path.is_file() else "eval.json")


def eval_is_current(run, stored: dict | None, which: str = "best") -> bool:
    """Whether a stored result was computed on the checkpoint the run has now for ``which``: False once
    the run trained further (a new best or last model) since."""
    stamp, path = run.model_mtime(which), run.trained_model_path(which)
    if not stored or stamp is None or path is None:
        return False
    return stored.get("model_mtime") == stamp and stored.get("model_file", path.name) == path.name


def stored_eval(run, which: str = "best") -> dict | None:
    path = _eval_path(run, which)
    try:
        return read_json(path) if path.is_file() else None
    except ValueError:
        return None
