"""Named configurations saved from the app: workspace/configs/<name>.json.

Each holds a :meth:`genlib.choices.Choices.to_dict`: dataset, family, preset, the
model fields changed from the preset, and the training settings.
"""

from __future__ import annotations

from . import paths
from .errors import ConfigError
from .io import read_json, write_json


def _path(name: str):
    if not paths.is_valid_id(name):
        raise ConfigError(f"configuration name {name!r} must be lowercase letters, digits, '-' or '_'")
    return paths.home() / "configs" / f"{name}.json"


def save(name: str, choices: dict) -> None:
    write_json(_path(name), choices)


def load(name: str) -> dict:
    path = _path(name)
    if not path.is_file():
        raise ConfigError(f"no saved configuration named {name!r}")
    return read_json(path)


def names() -> list[str]:
    folder = paths.home() / "configs"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
