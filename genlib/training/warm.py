"""Warm start: a new run begins from another run's trained networks instead of random weights.

    python -m genlib train --dataset letters --family dcgan --set warm_start=dcgan-digits-0001

Weights are copied network by network (generator, discriminator, or a VAE's encoder
and decoder), only where every weight has the same shape; otherwise nothing is
copied and the error says which layer differs.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GenlibError

# warm_start_parts -> the networks copied, by their names in ``model.networks()``
PARTS = {
    "all": None,  # every network the two models share
    "generator": ("generator", "decoder"),
    "discriminator": ("discriminator", "encoder"),
}


def _source_model(run_id: str, runs_root: Path):
    from ..explore import load_run_model
    from ..runs.store import Run

    run = Run(Path(runs_root) / run_id)
    if not run.exists():
        raise GenlibError(f"warm start: there is no run {run_id!r}")
    model = load_run_model(run)
    if model is None:
        raise GenlibError(f"warm start: run {run_id} has no trained model yet (no epoch finished)")
    return model


def _differences(model, source) -> str:
    """The settings of the two models that differ, as "filters 64 here, 32 there", for messages."""
    ours, theirs = model.config.to_dict(), source.config.to_dict()
    diff = [f"{k} {ours[k]} here, {theirs[k]} there" for k in ours if k in theirs and ours[k] != theirs[k]]
    return f" Settings that differ: {'; '.join(diff)}." if diff else ""


def check_fit(model, source, parts: str, source_id: str) -> list[str]:
    """The network names to copy from ``source`` into ``model``; GenlibError naming the first mismatch
    and the settings that differ."""
    ours, theirs = model.networks(), source.networks()
    wanted = [n for n in ours if PARTS[parts] is None or n in PARTS[parts]]
    names = [n for n in wanted if n in theirs]
    if not names:
        raise GenlibError(
            f"warm start: run {source_id} ({source.family}) has no {' or '.join(wanted) or parts} "
            f"to copy into this {model.family} model"
        )
    for name in names:
        dst, src = ours[name].weights, theirs[name].weights
        if len(dst) != len(src):
            raise GenlibError(
                f"warm start: the {name} of run {source_id} has {len(src)} weight tensors, this model's has "
                f"{len(dst)}; the networks must be built with the same settings.{_differences(model, source)}"
            )
        for a, b in zip(dst, src, strict=True):
            if tuple(a.shape) != tuple(b.shape):
                raise GenlibError(
                    f"warm start: {name} weight {a.path} is {tuple(a.shape)} here but {tuple(b.shape)} in run "
                    f"{source_id}; image size, channels, classes, latent size and widths must match."
                    + _differences(model, source)
                )
    return names


def warm_start(model, source_id: str, parts: str, runs_root: Path) -> tuple[list[str], int]:
    """Copy the chosen networks of run ``source_id`` (its best model, else its last) into ``model``;
    return the names copied and the epoch of the model they came from."""
    source = _source_model(source_id, runs_root)
    names = check_fit(model, source, parts, source_id)
    for name in names:
        model.networks()[name].set_weights(source.networks()[name].get_weights())
    ema = getattr(model, "ema_generator", None)
    if ema is not None and "generator" in names:
        ema.set_weights(model.generator.get_weights())
    return names, int(source.trained_epochs.numpy())


def check_warm_start(train, model_config, runs_root: Path) -> None:
    """Before a run exists: the warm-start run can be loaded and fits a model of ``model_config``."""
    from ..models import create_model

    source = _source_model(train.warm_start, runs_root)
    check_fit(create_model(train.family, model_config), source, train.warm_start_parts, train.warm_start)
