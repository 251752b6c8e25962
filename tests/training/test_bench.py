"""The per-family benchmark's parts measure what they say: FLOPs of the real step, Keras fit of the
same networks (which really trains them), and the backend's XLA table as the trainer applies it."""

import numpy as np
import pytest

from genlib.data import load_dataset
from genlib.explore import _layer_flops
from genlib.training import TrainConfig
from genlib.training.backends import backend
from genlib.training.bench import _keras_fit, _model, step_flops


def test_step_flops_count_the_convolutions_and_their_gradients():
    model = _model("dcgan", TrainConfig(dataset="digits", family="dcgan"))
    forward = {name: 2 * sum(_layer_flops(layer) for layer in net.layers) for name, net in model.networks().items()}
    counted = step_flops(model, batch=16) / 16
    # one step: G forward and backward (3x), D forward and backward on real and fake (2 x 3x),
    # and D forward and input gradient for G's update (2x): about 3G + 8D forward passes
    estimate = 3 * forward["generator"] + 8 * forward["discriminator"]
    assert 0.6 * estimate < counted < 1.6 * estimate


def test_keras_fit_trains_the_same_networks():
    ds = load_dataset("digits")
    model = _model("gan", TrainConfig(dataset="digits", family="gan"))
    before = [np.array(v) for v in model.networks()["generator"].trainable_variables]
    rate = _keras_fit(model, ds, batch=64, epochs=1, xla=False)
    after = model.networks()["generator"].trainable_variables
    assert rate > 0 and any(not np.allclose(a, np.array(b)) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize("family", ["gan", "dcgan", "cgan", "vae", "cvae"])
def test_xla_on_a_cpu_once_a_run_repays_its_measured_compile_and_always_on_a_gpu(family):
    be = backend()
    gain, extra_s, plain = be.XLA_ON_CPU[family]
    even = be.xla_break_even(family)
    # at the break-even, plain and XLA take the same time: compile extra + images at the faster rate
    assert even / plain == pytest.approx(extra_s + even / (plain * gain))
    assert be.use_xla(family, "GPU", images=1)
    assert not be.use_xla(family, "CPU", images=int(even))  # repaid, but without the margin
    assert be.use_xla(family, "CPU", images=int(be.XLA_MARGIN * even) + 1)


def test_bench_refuses_an_unknown_family_before_timing_anything(capsys):
    from genlib.__main__ import main

    assert main(["bench", "--families", "gan,nope"]) == 2
    assert "unknown model family 'nope'" in capsys.readouterr().err
