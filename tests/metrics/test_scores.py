"""The metric formulas on cases with known answers."""

import numpy as np
import pytest

from genlib.metrics import scores


def gaussian(n, d, seed, mean=0.0, std=1.0):
    return np.random.default_rng(seed).normal(mean, std, (n, d))


def one_hot(classes, k):
    return np.eye(k)[np.asarray(classes)]


def test_frechet_distance_known_values():
    x = gaussian(4000, 8, 0)
    assert scores.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    shift = np.full(8, 0.5)
    # same covariance, shifted mean: exactly |shift|^2
    assert scores.frechet_distance(x, x + shift) == pytest.approx(8 * 0.25, rel=1e-6)
    # diagonal covariances: sum over dimensions of (std_a - std_b)^2, here 8 * (1 - 3)^2
    wide = gaussian(200_000, 8, 1, std=3.0)
    narrow = gaussian(200_000, 8, 2)
    assert scores.frechet_distance(narrow, wide) == pytest.approx(32.0, rel=0.02)
    # independent samples of one distribution: near 0, far below a real difference
    assert scores.frechet_distance(gaussian(4000, 8, 3), gaussian(4000, 8, 4)) < 0.05


def test_frechet_distance_handles_rank_deficient_features():
    x = gaussian(500, 4, 0)
    x = np.concatenate([x, np.zeros((500, 60))], axis=1)  # dead ReLU units: zero variance
    assert np.isfinite(scores.frechet_distance(x, x[::-1])) and scores.frechet_distance(x, x) < 1e-6


def test_inception_score_bounds():
    k = 10
    assert scores.inception_score(one_hot(np.arange(1000) % k, k)) == pytest.approx(k, rel=1e-6)
    assert scores.inception_score(one_hot(np.zeros(1000, int), k)) == pytest.approx(1.0, abs=1e-6)
    assert scores.inception_score(np.full((1000, k), 1 / k)) == pytest.approx(1.0, abs=1e-6)  # no confidence


def test_coverage_and_balance():
    k = 10
    labels = np.arange(1000) % k
    assert scores.coverage(one_hot(labels, k)) == 1.0
    assert scores.coverage(one_hot(np.zeros(1000, int), k)) == pytest.approx(1 / k)
    assert scores.coverage(np.full((1000, k), 1 / k)) == 0.0  # nothing confident
    # a class with 1% of the samples is below a tenth of its fair share (10%): not covered
    rare = np.where(np.arange(1000) < 991, np.arange(1000) % 9, 9)
    assert scores.coverage(one_hot(rare, k)) == pytest.approx(0.9)
    assert scores.class_balance(one_hot(labels, k), labels) == pytest.approx(1.0)
    assert scores.class_balance(one_hot(np.zeros(1000, int), 2), np.arange(1000) % 2) == pytest.approx(0.5)


def test_precision_recall_on_point_clouds():
    a = gaussian(600, 2, 0)
    assert scores.precision_recall(a, a) == (1.0, 1.0)
    far = gaussian(600, 2, 1, mean=50.0)
    assert scores.precision_recall(a, far) == (0.0, 0.0)
    # fakes from half of a two-cluster distribution: faithful (precision ~1) but half the variety
    two = np.concatenate([gaussian(300, 2, 2), gaussian(300, 2, 3, mean=20.0)])
    half = np.concatenate([gaussian(300, 2, 4), gaussian(300, 2, 5)])
    precision, recall = scores.precision_recall(two, half)
    assert precision > 0.9 and 0.4 < recall < 0.6


def test_nearest_and_memorisation():
    base = gaussian(300, 16, 0)
    dist, idx = scores.nearest(base[:50], base)
    assert np.allclose(dist, 0, atol=1e-3) and (idx == np.arange(50)).all()
    dist, idx = scores.nearest(base[:50], base, skip_self=True)
    assert (dist > 0.1).all() and (idx != np.arange(50)).all()
    real_nn, _ = scores.nearest(base[:100], base, skip_self=True)
    copies = scores.memorisation(np.zeros(100), real_nn)
    assert copies == {"nn_ratio": 0.0, "copy_share": 1.0}
    fresh_nn, _ = scores.nearest(gaussian(100, 16, 9), base)
    healthy = scores.memorisation(fresh_nn, real_nn)
    assert 0.7 < healthy["nn_ratio"] < 1.3 and healthy["copy_share"] < 0.1


def test_nearest_in_blocks_equals_one_pass_over_uint8_rows(monkeypatch):
    rng = np.random.default_rng(4)
    base = rng.integers(0, 256, (500, 64), dtype=np.uint8)
    query = np.concatenate([base[40:90], rng.integers(0, 256, (30, 64), dtype=np.uint8)])
    d = scores.squared_distances(query, base)
    rows = np.arange(50)
    monkeypatch.setattr(scores, "BLOCK", 7 * 16)  # 16 query rows against 7 base rows at a time
    dist, idx = scores.nearest(query, base, chunk=16)
    assert (idx == d.argmin(1)).all() and np.allclose(dist, np.sqrt(d.min(1)))
    # skip_self, with each query's own row falling in a different block
    shifted = np.concatenate([base[40:90], base[:40], base[90:]])
    dist, idx = scores.nearest(shifted[:50], shifted, skip_self=True, chunk=16)
    d_own = scores.squared_distances(shifted[:50], shifted)
    d_own[rows, rows] = np.inf
    assert (idx == d_own.argmin(1)).all() and np.allclose(dist, np.sqrt(d_own.min(1)))


def test_precision_recall_samples_at_most_the_cap(monkeypatch):
    seen = []
    radii = scores.knn_radii
    monkeypatch.setattr(scores, "knn_radii", lambda points, k: seen.append(len(points)) or radii(points, k))
    monkeypatch.setattr(scores, "PR_MAX_POINTS", 200)
    precision, recall = scores.precision_recall(gaussian(900, 2, 0), gaussian(700, 2, 1))
    assert seen == [200, 200] and precision > 0.8 and recall > 0.8
