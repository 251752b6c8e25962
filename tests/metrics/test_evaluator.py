"""The digits evaluator on known cases: real vs real, one repeated image, noise, copies."""

import numpy as np
import pytest

from genlib.data import load_dataset, make_dataset
from genlib.metrics import EvaluatorError, diagnose, evaluate_model, get_evaluator
from genlib.metrics import evaluator as evaluator_module
from genlib.models import create_model, make_config


@pytest.fixture(scope="module")
def ev():
    return get_evaluator("digits")


def test_classifier_is_accurate_and_the_real_data_sits_at_the_ceiling(ev):
    assert ev.accuracy > 0.9
    base = ev.baseline  # held-out half scored against the reference half
    assert base["inception_score"] > 0.8 * ev.num_classes
    assert base["coverage"] == 1.0 and base["balance"] > 0.9
    assert base["precision"] > 0.7 and base["recall"] > 0.7
    assert base["fid"] < 0.1 * ev.score(_noise(1000), nn_samples=0)["fid"]


def _noise(n):
    return np.random.default_rng(0).integers(0, 256, (n, 8, 8, 1), dtype=np.uint8)


def test_one_repeated_image_covers_one_class_and_scores_is_near_one(ev):
    ds = load_dataset("digits")
    image = ds.images[ev.held_out[0]]
    result = ev.score(np.repeat(image[None], 1000, axis=0))
    assert result["coverage"] == pytest.approx(1 / ev.num_classes)
    assert result["inception_score"] < 1.05
    assert result["recall"] < 0.05
    assert sum(result["confident_counts"]) == 1000


def test_noise_is_far_and_copies_are_flagged_as_memorised(ev):
    ds = load_dataset("digits")
    noise = ev.score(_noise(1000))
    assert noise["fid"] > 20 * ev.baseline["fid"] and noise["precision"] < 0.5 * ev.baseline["precision"]
    copies = ev.score(ds.images[:500])
    assert copies["nn_ratio"] < 1e-3 and copies["copy_share"] == 1.0


def test_evaluator_is_cached_on_disk_by_content(ev, monkeypatch):
    monkeypatch.setattr(evaluator_module, "_MEMORY", {})
    lines = []
    again = get_evaluator("digits", report=lines.append)
    assert lines == [] and again.digest == ev.digest  # loaded, not retrained
    assert again.accuracy == ev.accuracy
    assert np.allclose(again.reference_features, ev.reference_features, atol=1e-4)
    ds = load_dataset("digits")
    changed = make_dataset("digits", 255 - ds.images, ds.labels, ds.class_names)
    assert evaluator_module.dataset_digest(changed) != ev.digest


def test_unusable_inputs_give_clear_errors(ev):
    images = np.zeros((10, 8, 8, 1), np.uint8)
    with pytest.raises(EvaluatorError, match="no class labels"):
        get_evaluator(make_dataset("blank", images))
    with pytest.raises(EvaluatorError, match="expects"):
        ev.score(np.zeros((10, 16, 16, 1), np.uint8))


def collapsed_gan(ds):
    """A real MLP GAN whose generator maps every latent to the same digit."""
    model = create_model("gan", make_config("gan", image_shape=ds.image_shape, num_classes=ds.num_classes))
    last = [layer for layer in model.generator.layers if layer.weights][-1]
    kernel, bias = last.get_weights()
    target = model.to_model_range(ds.images[0]).reshape(-1)
    last.set_weights([np.zeros_like(kernel), np.arctanh(np.clip(target, -0.99, 0.99)).astype(bias.dtype)])
    return model


def test_health_panel_flags_a_collapsed_generator(ev):
    ds = load_dataset("digits")
    model = collapsed_gan(ds)
    collapsed = evaluate_model(model, ev, n=1000)
    assert collapsed["coverage"] == pytest.approx(0.1)
    healthy = ev.score(ds.images[ev.held_out], nn_samples=0)
    records = [{"kind": "eval", "epoch": 5, **healthy}, {"kind": "eval", "epoch": 10, **collapsed}]
    findings = diagnose(records)
    assert findings[0].level == "warning" and "Mode collapse" in findings[0].title
    assert "1/10 classes" in findings[0].detail and "epoch 5" in findings[0].detail
    only = diagnose(records[1:])
    assert "few classes" in only[0].title
    assert diagnose(records[:1])[0].level == "ok"


def test_health_panel_flags_samples_that_lose_variety_within_their_classes(ev):
    ds = load_dataset("digits")
    held_out = ds.images[ev.held_out]
    varied = ev.score(held_out, nn_samples=0)
    # Per class, the image the evaluator is surest of, repeated: every class is drawn, with no variety inside it.
    probs = ev.features_and_probs(held_out)[1]
    one_each = held_out[probs.argmax(0)]
    narrow = ev.score(np.repeat(one_each, 100, axis=0), nn_samples=0)
    assert narrow["coverage"] == 1.0 and narrow["precision"] > 0.5 and narrow["recall"] < 0.1
    records = [{"kind": "eval", "epoch": 5, **varied}, {"kind": "eval", "epoch": 10, **narrow}]
    (finding,) = diagnose(records)
    assert finding.title == "Mode collapse: samples are losing variety" and "at epoch 5" in finding.detail
