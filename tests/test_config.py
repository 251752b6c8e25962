import json
from dataclasses import dataclass

import pytest

from genlib.config import BaseConfig, param
from genlib.errors import ConfigError
from genlib.models import get_family, list_families, make_config
from genlib.training import TrainConfig


@dataclass(frozen=True)
class Example(BaseConfig):
    size: int = param(4, "a size", low=2, high=512)
    rate: float = param(0.1, "a rate", low=0.0, high=1.0)
    kind: str = param("a", "a kind", choices=("a", "b"))
    widths: tuple[int, ...] = param((8, 16), "widths", low=1, high=3, item_low=8, item_high=64)
    flag: bool = param(False, "a flag")


def test_range_error_names_the_field():
    with pytest.raises(ConfigError, match="size must be between 2 and 512, got 0"):
        Example(size=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"size": "big"}, "size must be a whole number"),
        ({"size": True}, "size must be a whole number"),
        ({"rate": 2.0}, "rate must be between"),
        ({"rate": float("nan")}, "rate must be a number"),
        ({"kind": "c"}, "kind must be one of a, b"),
        ({"widths": (8, 8, 8, 8)}, "widths must have between 1 and 3 entries"),
        ({"widths": (4,)}, "each entry of widths must be between 8 and 64"),
        ({"flag": 1}, "flag must be true or false"),
    ],
)
def test_invalid_values_are_rejected(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Example(**kwargs)


def test_json_round_trip_and_coercion():
    cfg = Example(size=8.0, widths=[16, 32])
    assert cfg.size == 8 and cfg.widths == (16, 32)
    assert Example.from_json(cfg.to_json()) == cfg
    assert json.loads(cfg.to_json())["widths"] == [16, 32]


def test_unknown_field_is_named():
    with pytest.raises(ConfigError, match="unknown field 'sise'"):
        Example.from_dict({"sise": 3})


def test_parse_value_from_command_line_text():
    assert Example.parse_value("widths", "8, 16,32") == (8, 16, 32)
    assert Example.parse_value("flag", "true") is True
    with pytest.raises(ConfigError, match="size must be a whole number, got 'x'"):
        Example.parse_value("size", "x")


@pytest.mark.parametrize("family", list_families())
def test_every_preset_is_valid_and_round_trips(family):
    cls = get_family(family)
    for preset in cls.presets:
        cfg = make_config(family, preset)
        assert cls.config_class.from_json(cfg.to_json()) == cfg
    assert all(f["help"] for f in cls.config_class.field_info())


def test_latent_dim_message_matches_the_issue():
    with pytest.raises(ConfigError, match="latent_dim must be between 2 and 512, got 0"):
        make_config("gan", latent_dim=0)


def test_image_shape_must_fit_the_models():
    with pytest.raises(ConfigError, match="multiples of 4"):
        make_config("dcgan", image_shape=(30, 30, 1))


def test_train_config_rejects_path_like_dataset():
    with pytest.raises(ConfigError, match="dataset must be a dataset name"):
        TrainConfig(dataset="../etc")


def test_bounds_read_as_numbers_people_write():
    from genlib.config import number_text

    assert [number_text(x) for x in (2**31 - 1, 86_400.0, 0.0001, 0.5, 0)] == [
        "2,147,483,647",
        "86,400",
        "0.0001",
        "0.5",
        "0",
    ]
