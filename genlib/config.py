"""Dataclass configs that validate themselves and round-trip through JSON.

A config class declares each field with :func:`param`, which records the range
or choices and a help text (shown by the CLI and the app). Construction checks
every field and raises :class:`ConfigError` naming the field::

    >>> GANConfig(latent_dim=0)
    ConfigError: latent_dim must be between 2 and 512, got 0
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError


def param(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple | None = None,
    item_low: int | None = None,
    item_high: int | None = None,
) -> Any:
    """Declare a config field with its validation rules and help text.

    Args:
        default: the default value (say why in a comment where it is declared).
        help: one sentence for users: what the field does.
        low, high: inclusive range for numbers, or for the length of a tuple.
        choices: allowed values for strings.
        item_low, item_high: inclusive range for each item of a tuple of ints.
    """
    meta = dict(help=help, low=low, high=high, choices=choices, item_low=item_low, item_high=item_high)
    return field(default=default, metadata=meta)


# How each field type is described to people ("latent_dim must be a whole number").
KIND_TEXT = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "text",
    "tuple[int]": "whole numbers separated by commas (e.g. 256, 512)",
}
# Words in field names spelled out for labels: d_learning_rate -> "Discriminator learning rate".
_LABEL_WORDS = {"d": "discriminator", "g": "generator", "lr": "learning rate", "dim": "size", "ema": "EMA"}


_LABELS = {
    "eval_every": "Metrics every N epochs",
    "g_hidden": "Generator hidden layers",
    "d_hidden": "Discriminator hidden layers",
    "hidden": "Hidden layers",
    "g_batchnorm": "Generator BatchNorm",
    "embed_dim": "Class embedding size",
    "slope": "LeakyReLU slope",
    "ema": "EMA of generator weights",
    "n_critic": "D steps per G step",
    "gp_weight": "Gradient penalty weight",
    "r1": "R1 penalty",
    "top_k": "Top-k: share G learns from",
    "beta_2": "Beta₂",
    "d_batchnorm": "Discriminator BatchNorm",
    "weight_decay": "Weight decay (L2)",
    "l1": "L1 penalty",
    "arch": "Blocks",
    "attention": "Self-attention at side",
    "progressive": "Progressive: share at half size",
    "diff_augment": "DiffAugment",
    "early_stopping": "Early stopping",
    "sample_every": "Grid every N steps",
}


def field_label(name: str) -> str:
    """A readable label for a field name: ``d_learning_rate`` -> "Discriminator learning rate"."""
    if name in _LABELS:
        return _LABELS[name]
    words = [_LABEL_WORDS.get(w, w) for w in name.split("_")]
    text = " ".join(words).replace("beta 1", "beta₁").replace("time budget s", "time budget (s)")
    return text[:1].upper() + text[1:]


def number_text(x: float) -> str:
    """A bound as people read it: 2,147,483,647 and 86,400, not 2.14748e+09; 0.0001 and 0.5 as they are."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class BaseConfig:
    """Base class: validation on construction, dict/JSON round trip, field info."""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = _coerce(f.name, getattr(self, f.name), hints[f.name])
            object.__setattr__(self, f.name, value)
            _check_range(f.name, value, f.metadata)
        self.validate()

    def validate(self) -> None:
        """Cross-field checks; subclasses override and raise ConfigError."""

    @classmethod
    def unused_fields(cls, values: typing.Mapping[str, Any]) -> dict[str, str]:
        """Fields the other ``values`` leave without effect (a penalty weight of a loss not chosen), each
        with the reason; forms grey them out. None by default."""
        return {}

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BaseConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown field {unknown[0]!r} for {cls.__name__}; known fields: {', '.join(sorted(known))}",
                field=unknown[0],
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "BaseConfig":
        return cls.from_dict(json.loads(text))

    def replace(self, **changes: Any) -> "BaseConfig":
        return self.from_dict({**self.to_dict(), **changes})

    # -- introspection, for the CLI and the app -------------------------
    @classmethod
    def field_info(cls) -> list[dict[str, Any]]:
        """One dict per field: name, type name, default, help and rules."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            out.append(dict(name=f.name, type=_type_name(hints[f.name]), default=f.default, **f.metadata))
        return out

    @classmethod
    def check_field(cls, name: str, value: Any) -> Any:
        """The value of one field, type and range checked on its own (no cross-field rules); ConfigError if bad."""
        hints = typing.get_type_hints(cls)
        meta = {f.name: f.metadata for f in dataclasses.fields(cls)}
        if name not in meta:
            raise ConfigError(f"unknown field {name!r}", field=name)
        value = _coerce(name, value, hints[name])
        _check_range(name, value, meta[name])
        return value

    @classmethod
    def parse_value(cls, name: str, text: str) -> Any:
        """Parse a command-line string into the type of field ``name``."""
        hints = typing.get_type_hints(cls)
        if name not in hints or name not in {f.name for f in dataclasses.fields(cls)}:
            known = ", ".join(f.name for f in dataclasses.fields(cls))
            raise ConfigError(f"unknown field {name!r}; known fields: {known}", field=name)
        kind = _type_name(hints[name])
        try:
            if kind == "bool":
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return text.lower() in ("true", "1", "yes")
            if kind == "int":
                return int(text)
            if kind == "float":
                return float(text)
            if kind == "tuple[int]":
                return tuple(int(t) for t in text.replace(" ", "").split(",") if t)
            return text
        except ValueError:
            raise ConfigError(f"{name} must be {KIND_TEXT[kind]}, got {text!r}", field=name) from None


def _type_name(tp: Any) -> str:
    if tp in (int, float, bool, str):
        return tp.__name__
    if typing.get_origin(tp) is tuple:
        return "tuple[int]"
    raise TypeError(f"unsupported config field type {tp!r}")


def _coerce(name: str, value: Any, tp: Any) -> Any:
    """Check the type, converting only where no information is lost."""
    kind = _type_name(tp)
    if kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind == "str":
        if isinstance(value, str):
            return value
    elif kind == "tuple[int]":
        if isinstance(value, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return tuple(value)
    raise ConfigError(f"{name} must be {KIND_TEXT[kind]}, got {_fmt(value)}", field=name)


def _check_range(name: str, value: Any, meta: typing.Mapping) -> None:
    low, high, choices = meta.get("low"), meta.get("high"), meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(str, choices))}; got {_fmt(value)}", field=name)
    if isinstance(value, tuple):
        if low is not None and high is not None and not low <= len(value) <= high:
            raise ConfigError(f"{name} must have between {low} and {high} entries, got {len(value)}", field=name)
        ilo, ihi = meta.get("item_low"), meta.get("item_high")
        for v in value:
            if ilo is not None and ihi is not None and not ilo <= v <= ihi:
                raise ConfigError(f"each entry of {name} must be between {ilo} and {ihi}, got {v}", field=name)
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value:  # NaN
            raise ConfigError(f"{name} must be a number, got nan", field=name)
        if low is not None and high is not None and not low <= value <= high:
            raise ConfigError(f"{name} must be between {_fmt(low)} and {_fmt(high)}, got {_fmt(value)}", field=name)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
