"""The user's choices: one object across pages, the URL and saved configurations."""

import dataclasses

import pytest

from genlib.choices import TRAIN_FIELDS, Choices
from genlib.errors import ConfigError
from genlib.models import get_family, list_families
from genlib.training import TrainConfig


def test_query_round_trip_keeps_every_choice():
    c = Choices("shapes", "dcgan", "fast", {"filters": 48, "ema": 0.99}, {"epochs": 3, "time_budget_s": 60.0})
    query = c.to_query()
    assert query == {
        "dataset": "shapes",
        "family": "dcgan",
        "preset": "fast",
        "filters": "48",
        "ema": "0.99",
        "epochs": "3",
        "time_budget_s": "60.0",
    }
    back, problems = Choices.from_query(query)
    assert problems == [] and back == c.normalised()


def test_tuple_and_bool_fields_survive_the_url():
    c = Choices("digits", "gan", "seed-001", {"g_hidden": (64, 128), "g_batchnorm": True})
    back, _ = Choices.from_query(c.to_query())
    assert back.model == {"g_hidden": (64, 128), "g_batchnorm": True}


def test_bad_link_values_are_reported_and_skipped():
    back, problems = Choices.from_query({"family": "vae", "latent_dim": "many", "epochs": "2", "nonsense": "1"})
    assert back.family == "vae" and back.train == {"epochs": 2} and back.model == {}
    assert any("latent_dim" in p and "whole number" in p for p in problems)
    assert any("has no setting called 'nonsense'" in p for p in problems)
    _, problems = Choices.from_query({"image_shape": "5", "num_classes": "3"})
    assert len(problems) == 2 and all("set from the dataset" in p for p in problems)
    back, problems = Choices.from_query({"family": "bigan"})
    assert back.family == list_families()[0] and "unknown model family" in problems[0]


def test_changing_family_keeps_only_fields_the_new_family_has():
    c = Choices("digits", "dcgan", "default", {"filters": 48, "latent_dim": 64, "label_smoothing": 0.1})
    vae = c.with_family("vae")
    assert vae.preset == next(iter(get_family("vae").presets))
    assert vae.model == {"filters": 48, "latent_dim": 64}  # the VAE has both; no label smoothing
    assert vae.model_config().filters == 48


def test_preset_change_resets_fields_and_defaults_are_not_stored():
    c = Choices("digits", "dcgan", "default", {"filters": 48})
    assert c.with_preset("fast").model == {}
    assert c.with_model_field("filters", 64).model == {}  # 64 is the default preset's value
    assert c.with_train_field("epochs", TrainConfig().epochs).train == {}


def test_build_fits_the_model_to_the_chosen_dataset():
    config = Choices("shapes", "dcgan", "fast", {"filters": 8}, {"epochs": 2, "seed": 5}).build()
    assert config["train"]["dataset"] == "shapes" and config["train"]["family"] == "dcgan"
    assert config["train"]["epochs"] == 2 and config["train"]["seed"] == 5
    assert config["model"]["filters"] == 8 and config["model"]["image_shape"] == [32, 32, 1]


def test_saved_form_round_trips_with_training_settings():
    c = Choices("shapes", "gan", "seed-002", {"g_hidden": (32, 64)}, {"batch_size": 32})
    assert Choices.from_dict(c.to_dict()) == c.normalised()


@pytest.mark.parametrize("family", list_families())
def test_training_fields_and_model_fields_never_share_a_name(family):
    model_fields = {f.name for f in dataclasses.fields(get_family(family).config_class)}
    assert not model_fields & set(TRAIN_FIELDS) and not model_fields & {"dataset", "family", "preset"}


def test_a_run_is_judged_at_its_datasets_image_size(capsys):
    """Attention at side 4 exists in networks for 8x8 digits, not at the 28x28 default; Start and the CLI agree."""
    from genlib.__main__ import main

    config = Choices("digits", "dcgan", "resnet", {"attention": 4}).build()
    assert config["model"]["attention"] == 4 and config["model"]["image_shape"] == [8, 8, 1]
    with pytest.raises(ConfigError, match="for 32x32 images: 4, 8, 16; got 7"):
        Choices("shapes", "dcgan", "resnet", {"attention": 7}).build()
    assert main(["train", "--family", "dcgan", "--preset", "fast", "--epochs", "1", "--set", "attention=4"]) == 0
    assert "completed" in capsys.readouterr().out


def test_headline_says_when_fields_differ_from_the_preset():
    c = Choices(dataset="shapes", family="dcgan", model={"latent_dim": 64, "learning_rate": 3e-4}).normalised()
    assert c.headline() == "shapes · DCGAN · default + 2 changes"
    assert c.changes_text() == "latent size 64, learning rate 0.0003"
    named = Choices(dataset="shapes", family="dcgan", model={"top_k": 0.5, "diff_augment": "cutout"}).normalised()
    assert named.changes_text() == "DiffAugment cutout, top-k: share G learns from 0.5"  # capitals kept
    assert Choices(dataset="shapes", family="dcgan").normalised().headline() == "shapes · DCGAN · default"
