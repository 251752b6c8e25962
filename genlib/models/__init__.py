"""Model family registry.

A family is two files: its card in this package (``gan.py``: the config, presets,
title, what it logs; no Keras) registers itself with :func:`register`, and its
Keras model in ``nets/`` (``nets/gan.py``: networks and training step). Cards are
discovered at import, so listing families, checking a config or drawing a form
never imports Keras or TensorFlow; the model class is imported when a model is
built or loaded. The UI and CLI list families from here and nowhere else.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from ..errors import ConfigError, GenlibError
from .family import LogKey

_FAMILIES: dict = {}
_SUPPORT_MODULES = {"family", "layout", "adversarial", "losses"}


def register(card):
    """Make a :class:`~genlib.models.family.Family` card available by its name; returns it."""
    _FAMILIES[card.name] = card
    return card


def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg and info.name not in _SUPPORT_MODULES and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def list_families() -> list[str]:
    return sorted(_FAMILIES, key=lambda f: list(_ORDER).index(f) if f in _ORDER else len(_ORDER))


_ORDER = ("gan", "dcgan", "cgan", "vae", "cvae")  # display order; unknown families go last


def get_family(name: str):
    """The family's card (title, presets, config class; ``.model_class`` imports its Keras model)."""
    if name not in _FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; available: {', '.join(list_families())}")
    return _FAMILIES[name]


def family_title(name: str) -> str:
    """The family's title for people ("MLP GAN"), or the name itself for a family no longer known."""
    card = _FAMILIES.get(name)
    return card.title if card else name


def make_config(family: str, preset: str | None = None, **overrides):
    """The family's config from a preset (default: the first) plus field overrides."""
    card = get_family(family)
    preset = preset or next(iter(card.presets), None)
    if preset is not None and preset not in card.presets:
        raise ConfigError(f"unknown preset {preset!r} for {family}; available: {', '.join(card.presets)}")
    return card.config_class.from_dict({**card.presets.get(preset, {}), **overrides})


def create_model(family: str, config):
    return get_family(family).model_class(config)


def log_keys(family: str, model_config: dict | None = None) -> dict:
    """What a run of this family and model config (its config.json "model") logs: key -> LogKey.

    A config that no longer parses (a field renamed since) falls back to the family's defaults.
    """
    card = get_family(family)
    try:
        config = card.config_class.from_dict(model_config or {})
    except GenlibError:
        config = card.config_class()
    keys = dict(card.log_keys(config))
    keys["lr"] = LogKey("learning_rate", "learning rate")
    return keys


def import_models() -> list[type]:
    """Every family's Keras model class; importing them registers them (and their layers) with Keras."""
    return [card.model_class for card in _FAMILIES.values()]


def load_model(path: str | Path):
    """Load a saved .keras model (a whole family model or a generator alone)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise GenlibError(f"no model file at {path}")
    import_models()
    try:
        return keras.saving.load_model(path)
    except (ValueError, OSError) as exc:
        raise GenlibError(f"could not load {path.name}: {exc}") from None


_discover()
