"""Model family registry.

Each family is one module in this package that decorates its model class with
``@register``; modules are discovered at import, so adding a family is adding a
file. The UI and CLI list families from here and nowhere else.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from ..errors import ConfigError, GenlibError

_FAMILIES: dict = {}
_SUPPORT_MODULES = {"base", "blocks", "adversarial", "losses"}


def register(cls):
    """Class decorator: make a GenerativeModel subclass available by ``cls.family``."""
    _FAMILIES[cls.family] = cls
    return cls


def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _SUPPORT_MODULES and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def list_families() -> list[str]:
    return sorted(_FAMILIES, key=lambda f: list(_ORDER).index(f) if f in _ORDER else len(_ORDER))


_ORDER = ("gan", "dcgan", "cgan", "vae", "cvae")  # display order; unknown families go last


def get_family(name: str):
    if name not in _FAMILIES:
        raise ConfigError(f"unknown model family {name!r}; available: {', '.join(list_families())}")
    return _FAMILIES[name]


def make_config(family: str, preset: str | None = None, **overrides):
    """The family's config from a preset (default: the first) plus field overrides."""
    cls = get_family(family)
    preset = preset or next(iter(cls.presets), None)
    if preset is not None and preset not in cls.presets:
        raise ConfigError(f"unknown preset {preset!r} for {family}; available: {', '.join(cls.presets)}")
    return cls.config_class.from_dict({**cls.presets.get(preset, {}), **overrides})


def create_model(family: str, config):
    return get_family(family)(config)


def log_keys(family: str, model_config: dict | None = None) -> dict:
    """What a run of this family and model config (its config.json "model") logs: key -> LogKey.

    A config that no longer parses (a field renamed since) falls back to the family's defaults.
    """
    cls = get_family(family)
    try:
        config = cls.config_class.from_dict(model_config or {})
    except GenlibError:
        config = cls.config_class()
    keys = dict(cls.log_keys(config))
    from .base import LogKey

    keys["lr"] = LogKey("learning_rate", "learning rate")
    return keys


def load_model(path: str | Path):
    """Load a saved .keras model (a whole family model or a generator alone)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise GenlibError(f"no model file at {path}")
    try:
        return keras.saving.load_model(path)
    except (ValueError, OSError) as exc:
        raise GenlibError(f"could not load {path.name}: {exc}") from None


_discover()
