"""The user's current choices: dataset, family, preset, model fields, training settings.

One :class:`Choices` is the whole configuration a person builds across the Data,
Model and Train pages. It is plain data (no Streamlit), so the app can keep one
per browser session, mirror it in the URL, save it under a name, and turn it
into a run's config.json with :meth:`Choices.build`::

    >>> c = Choices(dataset="shapes", family="dcgan", model={"filters": 32})
    >>> c.to_query()
    {'dataset': 'shapes', 'family': 'dcgan', 'preset': 'default', 'filters': '32'}
    >>> Choices.from_query(c.to_query())[0] == c.normalised()
    True

Model fields are stored as overrides of the preset and training settings as
overrides of :class:`TrainConfig`'s defaults, so a link carries only what the
person changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError

# Filled from the dataset, never chosen by hand.
DATA_FIELDS = ("image_shape", "num_classes")
# TrainConfig fields a person sets on the Train page (the rest are set by the app or CLI).
TRAIN_FIELDS = ("epochs", "batch_size", "seed", "eval_every", "time_budget_s")
# Further TrainConfig fields a person sets: the Train page's options, the Data page's augmentation.
TRAIN_OPTION_FIELDS = ("early_stopping", "sample_every", "grid_size", "tensorboard", "warm_start", "warm_start_parts")
AUGMENT_FIELDS = (
    "augment_flip",
    "augment_rotate",
    "augment_scale",
    "augment_translate",
    "augment_brightness",
    "augment_contrast",
)
SETTABLE_TRAIN_FIELDS = TRAIN_FIELDS + TRAIN_OPTION_FIELDS + AUGMENT_FIELDS
_TOP = ("dataset", "family", "preset")


def _families():
    from .models import get_family, list_families

    return list_families(), get_family


def _default_family() -> str:
    return _families()[0][0]


@dataclass(frozen=True)
class Choices:
    dataset: str = "digits"
    family: str = field(default_factory=_default_family)
    preset: str = ""  # "" = the family's first preset
    model: dict[str, Any] = field(default_factory=dict)  # overrides of the preset
    train: dict[str, Any] = field(default_factory=dict)  # overrides of TrainConfig's defaults

    # -- derived -------------------------------------------------------------
    @property
    def family_card(self):
        return _families()[1](self.family)

    def preset_values(self) -> dict[str, Any]:
        """Every model field's value before the person's overrides (the preset's)."""
        from .models import make_config

        return vars(make_config(self.family, self.preset or None))

    def model_values(self) -> dict[str, Any]:
        """Every model field's value as shown: the preset's, then the overrides."""
        return {**self.preset_values(), **self.model}

    def train_values(self) -> dict[str, Any]:
        from .training.config import TrainConfig

        defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.name in SETTABLE_TRAIN_FIELDS}
        return {**defaults, **self.train}

    # -- changes -------------------------------------------------------------
    def normalised(self) -> Choices:
        """Family and preset made valid; fields the family or trainer lacks dropped; defaults dropped."""
        families, get_family = _families()
        family = self.family if self.family in families else families[0]
        cls = get_family(family)
        preset = self.preset if self.preset in cls.presets else next(iter(cls.presets), "")
        fields = {f.name for f in dataclasses.fields(cls.config_class)} - set(DATA_FIELDS)
        base = Choices(self.dataset, family, preset)
        start = base.preset_values()
        model = {k: v for k, v in self.model.items() if k in fields and v != start.get(k)}
        train_defaults = base.train_values()
        train = {k: v for k, v in self.train.items() if k in SETTABLE_TRAIN_FIELDS and v != train_defaults[k]}
        return Choices(self.dataset, family, preset, model, train)

    def with_family(self, family: str) -> Choices:
        """Switch family, keeping the fields the new family has (and a preset of the same name)."""
        return dataclasses.replace(self, family=family).normalised()

    def with_preset(self, preset: str) -> Choices:
        """A new starting point: the preset's values replace the model overrides."""
        return dataclasses.replace(self, preset=preset, model={}).normalised()

    def with_model_field(self, name: str, value: Any) -> Choices:
        return dataclasses.replace(self, model={**self.model, name: value}).normalised()

    def with_train_field(self, name: str, value: Any) -> Choices:
        return dataclasses.replace(self, train={**self.train, name: value}).normalised()

    def with_dataset(self, dataset: str) -> Choices:
        return dataclasses.replace(self, dataset=dataset)

    # -- configs ---------------------------------------------------------------
    def model_config(self, image_shape: tuple[int, ...] | None = None, num_classes: int | None = None):
        """The family's validated config; raises ConfigError naming the field."""
        from .models import make_config

        data = {}
        if image_shape is not None:
            data = {"image_shape": tuple(image_shape), "num_classes": int(num_classes or 0)}
        return make_config(self.family, self.preset or None, **self.model, **data)

    def train_config(self):
        from .training.config import TrainConfig

        return TrainConfig(dataset=self.dataset, family=self.family, preset=self.preset, **self.train)

    def problems(
        self,
        image_shape: tuple[int, ...] | None = None,
        num_classes: int | None = None,
        parts: tuple[str, ...] = ("train", "model"),
    ) -> list:
        """Every ConfigError in these choices at once: each field out of its range, then the rules between
        fields (and on sizes, given the data's ``image_shape``) judged on the fields that are in range.
        Empty when ``train_config`` and ``model_config`` would both build; ``parts`` picks which."""
        from .training.config import TrainConfig

        found = []
        bad: dict[str, set] = {"train": set(), "model": set()}
        for part, values, config_class in (
            ("train", self.train, TrainConfig),
            ("model", self.model, self.family_card.config_class),
        ):
            if part not in parts:
                continue
            for name, value in values.items():
                try:
                    config_class.check_field(name, value)
                except ConfigError as exc:
                    found.append(exc)
                    bad[part].add(name)
        in_range = dataclasses.replace(
            self,
            train={k: v for k, v in self.train.items() if k not in bad["train"]},
            model={k: v for k, v in self.model.items() if k not in bad["model"]},
        )
        if "train" in parts:
            try:
                in_range.train_config()
            except ConfigError as exc:
                found.append(exc)
        if "model" in parts:
            # A config stops at its first broken rule: set that field back to its off value and judge
            # again, so rules further down (attention's sides after label smoothing's) are named too.
            defaults = {f.name: f.default for f in dataclasses.fields(self.family_card.config_class)}
            model, named = dict(in_range.model), set()
            for _ in range(len(defaults)):
                try:
                    dataclasses.replace(in_range, model=model).model_config(image_shape, num_classes)
                    break
                except ConfigError as exc:
                    if exc.field in named or exc.field not in defaults:
                        if exc.field not in named:
                            found.append(exc)
                        break
                    found.append(exc)
                    named.add(exc.field)
                    model[exc.field] = defaults[exc.field]
        return found

    def build(self) -> dict:
        """The config.json for a run of these choices (loads the dataset; raises GenlibError).

        The model is judged at the dataset's image size: rules such as where attention can go depend on it.
        """
        from .data import load_dataset
        from .training.trainer import build_config

        ds = load_dataset(self.dataset)
        return build_config(self.train_config(), self.model_config(ds.image_shape, max(ds.num_classes, 2)))

    # -- text forms: URL query and saved configurations -----------------------
    def to_query(self) -> dict[str, str]:
        query = {"dataset": self.dataset, "family": self.family, "preset": self.preset}
        for name, value in {**self.model, **self.train}.items():
            query[name] = _to_text(value)
        return query

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[Choices, list[str]]:
        """Choices from URL parameters; entries that do not parse are skipped and reported."""
        from .training.config import TrainConfig

        problems: list[str] = []
        families, get_family = _families()
        family = params.get("family", families[0])
        if family not in families:
            problems.append(f"unknown model family {family!r} in the link; using {families[0]}")
            family = families[0]
        config_class = get_family(family).config_class
        model, train = {}, {}
        known = {f.name for f in dataclasses.fields(config_class)}
        for name, text in params.items():
            if name in _TOP:
                continue
            if name in DATA_FIELDS:
                problems.append(f"ignored {name} from the link: it is set from the dataset")
                continue
            if name not in SETTABLE_TRAIN_FIELDS and name not in known:
                problems.append(f"ignored {name}={text!r} from the link: {family} has no setting called {name!r}")
                continue
            target, parser = (train, TrainConfig) if name in SETTABLE_TRAIN_FIELDS else (model, config_class)
            try:
                target[name] = parser.parse_value(name, str(text))
            except ConfigError as exc:
                problems.append(f"ignored {name}={text!r} from the link: {exc}")
        preset = params.get("preset", "")
        if preset and preset not in get_family(family).presets:
            problems.append(f"unknown preset {preset!r} for {family} in the link")
        choices = cls(params.get("dataset", "digits"), family, preset, model, train)
        return choices.normalised(), problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "family": self.family,
            "preset": self.preset,
            "model": {k: _jsonable(v) for k, v in self.model.items()},
            "train": dict(self.train),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Choices:
        """Saved choices back; tuples were stored as lists and unknown fields are dropped."""
        model = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(data.get("model", {})).items()}
        return cls(
            data.get("dataset", "digits"),
            data.get("family", _default_family()),
            data.get("preset", ""),
            model,
            dict(data.get("train", {})),
        ).normalised()

    def headline(self, family_title: str | None = None) -> str:
        """'shapes · DCGAN · fast', and '+ 2 changes' when model fields differ from the preset."""
        text = f"{self.dataset} · {family_title or self.family_card.title} · {self.preset}"
        n = len(self.model)
        return text + (f" + {n} change{'s' if n > 1 else ''}" if n else "")

    def changes(self) -> list[str]:
        """The model fields set away from the preset, in words: ['latent size 64', 'learning rate 0.0003']."""
        from .config import field_label

        return [f"{_lower_first(field_label(k))} {_to_text(v)}" for k, v in sorted(self.model.items())]

    def changes_text(self) -> str:
        """The changes joined: 'latent size 64, learning rate 0.0003' ('' if none)."""
        return ", ".join(self.changes())


def _lower_first(label: str) -> str:
    """'Latent size' -> 'latent size', keeping names and letters that are capitals ('Top-k: share G
    learns from', 'DiffAugment', 'EMA of generator weights') as they are."""
    first = label.split(" ", 1)[0]
    return label if first[1:] != first[1:].lower() or first.isupper() else label[:1].lower() + label[1:]


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
