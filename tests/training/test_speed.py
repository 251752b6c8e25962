"""Measured time per epoch: the real compiled step, cached, and runs of the same config used instead."""

from genlib.choices import Choices
from genlib.runs import RunStore
from genlib.training import Trainer
from genlib.training.speed import cached_speed, from_history, measure


def test_measure_times_the_real_step_and_caches_it():
    config = Choices("digits", "vae", train={"epochs": 2, "eval_every": 0}).build()
    assert cached_speed(config["model"], 128, 1797) is None
    result = measure(config, steps=3)
    steps = 1797 // 128
    assert 0 < result["step_s"] < 5 and result["epoch_end_s"] > 0
    assert result["seconds_per_epoch"] == steps * result["step_s"] + result["epoch_end_s"]
    assert cached_speed(config["model"], 128, 1797) == result


def test_a_run_of_the_same_config_supplies_its_measured_epoch_time():
    config = Choices("digits", "vae", train={"epochs": 2, "eval_every": 0}).build()
    run = RunStore().create(config)
    Trainer(run).fit()
    found = from_history(RunStore().list(), config["model"], 128, "digits")
    assert found["seconds_per_epoch"] == run.metrics("epoch")[1]["seconds"] and run.id in found["source"]
    assert from_history(RunStore().list(), config["model"], 64, "digits") is None  # another batch size
