"""The formulas, in NumPy, on features and class probabilities from the evaluator.

Notation: ``real`` are features of the reference images (N, D), ``fake`` of the
generated ones (M, D); ``probs`` are the evaluator's softmax outputs (M, K).

- Fréchet distance (the formula behind FID, Heusel et al. 2017): fit a Gaussian
  to each feature set and take ``|mu_r - mu_f|^2 + Tr(S_r + S_f - 2 (S_r S_f)^1/2)``.
  0 for identical distributions; grows with both mean shift and spread mismatch.
- Inception Score with the evaluator as the classifier (Salimans et al. 2016):
  ``exp(mean_x KL(p(y|x) || p(y)))``. Between 1 (every image gets the same
  prediction) and K (each image confidently one class, classes used equally).
- Precision and recall (Kynkäänniemi et al. 2019): each sample's k-NN radius
  (k=3) spans a ball; the union of the real balls approximates the real
  manifold. Precision is the share of fake samples inside the real manifold
  (fidelity); recall the share of real samples inside the fake one (diversity).
- Class coverage: a class is covered when at least a tenth of its fair share
  (M/K) of samples are predicted as it with probability >= 0.5; coverage is the
  share of the K classes covered. One repeated image covers 1/K.
- Class balance: 1 - total variation distance between the predicted class mix
  and the reference label mix; 1 when the mix matches, 0 when disjoint.
- Memorisation: pixel distance of each generated image to its nearest training
  image, against the same distance for real images that are left out. ``nn_ratio``
  is the ratio of the medians (about 1 is healthy, well below 1 means copies);
  ``copy_share`` the share of generated images closer to a training image than
  99% of real images are to theirs (about 0.01 is healthy).
"""

from __future__ import annotations

import numpy as np

CONFIDENT = 0.5  # a prediction counts for coverage at this probability or above
FAIR_SHARE = 0.1  # ... and a class needs a tenth of its fair share of samples
K_NEAREST = 3
# Precision and recall compare equal-sized samples of at most this many points: their k-NN radii
# need all pairwise distances, so the cost grows with the square of the sample.
PR_MAX_POINTS = 5_000
BLOCK = 1 << 23  # distance entries (8 bytes each) computed at once: 64 MB


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D), (M, D)."""
    mu_r, mu_f = real.mean(0), fake.mean(0)
    s_r = np.atleast_2d(np.cov(real, rowvar=False))
    s_f = np.atleast_2d(np.cov(fake, rowvar=False))
    return float(((mu_r - mu_f) ** 2).sum() + np.trace(s_r) + np.trace(s_f) - 2.0 * _trace_sqrt_product(s_r, s_f))


def _trace_sqrt_product(a: np.ndarray, b: np.ndarray) -> float:
    """Tr((A B)^1/2) for symmetric PSD A, B, as Tr((A^1/2 B A^1/2)^1/2), which is symmetric."""
    w, v = np.linalg.eigh(a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root_a @ b @ root_a
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def inception_score(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) from class probabilities (M, K)."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    marginal = p.mean(0, keepdims=True)
    kl = (p * (np.log(p) - np.log(marginal))).sum(1)
    return float(np.exp(kl.mean()))


def class_counts(probs: np.ndarray, confident: float = CONFIDENT) -> tuple[np.ndarray, np.ndarray]:
    """(samples predicted as each class, of those the confident ones)."""
    k = probs.shape[1]
    top = probs.argmax(1)
    sure = probs.max(1) >= confident
    return np.bincount(top, minlength=k), np.bincount(top[sure], minlength=k)


def coverage(probs: np.ndarray) -> float:
    """Share of classes with at least a tenth of their fair share of confident predictions."""
    m, k = probs.shape
    _, sure = class_counts(probs)
    need = max(1, int(np.ceil(FAIR_SHARE * m / k)))
    return float((sure >= need).sum() / k)


def class_balance(probs: np.ndarray, reference_labels: np.ndarray) -> float:
    """1 - total variation distance between predicted class mix and the reference label mix."""
    k = probs.shape[1]
    predicted = np.bincount(probs.argmax(1), minlength=k) / len(probs)
    wanted = np.bincount(reference_labels, minlength=k)[:k] / len(reference_labels)
    return float(1.0 - 0.5 * np.abs(predicted - wanted).sum())


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """All squared Euclidean distances between rows of a (N, D) and b (M, D).

    In float64: the expansion |a|^2 + |b|^2 - 2ab loses the small distances of
    near-copies to rounding in float32.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def nearest(query: np.ndarray, base: np.ndarray, skip_self: bool = False, chunk: int = 1024):
    """Distance to and index of each query row's nearest base row (the second if skip_self).

    ``skip_self`` is for queries that are themselves in ``base`` at the same index. Both sides go
    in blocks, converted as they are used, so memory stays bounded whatever the size of ``base``
    (which may be uint8 pixels: 200,000 MNIST images would be 1.25 GB in float64).
    """
    dist = np.full(len(query), np.inf)
    index = np.zeros(len(query), np.int64)
    base_rows = max(BLOCK // max(chunk, 1), 1)
    for i in range(0, len(query), chunk):
        q = query[i : i + chunk]
        rows = np.arange(len(q))
        for j in range(0, len(base), base_rows):
            d = squared_distances(q, base[j : j + base_rows])
            if skip_self:
                own = rows + i - j  # the query's own row, where it falls in this block
                inside = (own >= 0) & (own < d.shape[1])
                d[rows[inside], own[inside]] = np.inf
            best = d.argmin(1)
            value = d[rows, best]
            better = value < dist[i : i + chunk]
            dist[i : i + chunk][better] = value[better]
            index[i : i + chunk][better] = best[better] + j
    return np.sqrt(dist), index


def knn_radii(points: np.ndarray, k: int = K_NEAREST, chunk: int = 2048) -> np.ndarray:
    """Squared distance from each point to its k-th nearest other point."""
    radii = np.empty(len(points), np.float64)
    for i in range(0, len(points), chunk):
        d = squared_distances(points[i : i + chunk], points)
        # the point itself is at distance 0, so the k-th other point is at sorted position k
        radii[i : i + chunk] = np.partition(d, k, axis=1)[:, k]
    return radii


def _share_inside(query: np.ndarray, base: np.ndarray, base_radii: np.ndarray, chunk: int = 2048) -> float:
    inside = 0
    for i in range(0, len(query), chunk):
        d = squared_distances(query[i : i + chunk], base)
        inside += int((d <= base_radii[None, :]).any(1).sum())
    return inside / len(query)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = K_NEAREST) -> tuple[float, float]:
    """k-NN manifold precision and recall; the larger set is subsampled to the smaller's size, and
    both to at most ``PR_MAX_POINTS`` (seeded, so a given pair of sets always gives the same figures)."""
    n = min(len(real), len(fake), PR_MAX_POINTS)
    rng = np.random.default_rng(0)
    real = real[np.sort(rng.choice(len(real), n, replace=False))] if len(real) > n else real
    fake = fake[np.sort(rng.choice(len(fake), n, replace=False))] if len(fake) > n else fake
    precision = _share_inside(fake, real, knn_radii(real, k))
    recall = _share_inside(real, fake, knn_radii(fake, k))
    return precision, recall


def memorisation(fake_nn: np.ndarray, real_nn: np.ndarray) -> dict:
    """Compare nearest-training-image distances of generated vs left-out real images."""
    real_median = float(np.median(real_nn))
    return {
        "nn_ratio": float(np.median(fake_nn)) / max(real_median, 1e-12),
        "copy_share": float((fake_nn < np.percentile(real_nn, 1)).mean()),
    }
