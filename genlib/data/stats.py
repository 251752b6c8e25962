"""Numbers and pictures for inspecting a dataset."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import Dataset


@dataclass
class DatasetStats:
    name: str
    count: int
    image_shape: tuple[int, int, int]
    class_names: list[str]
    class_counts: list[int]  # images per class, in class_names order
    class_means: np.ndarray  # (K, H, W, C) float32 in [0, 255]; K = 1 when unlabelled
    pixel_histogram: np.ndarray  # (256,) counts of pixel values 0..255
    pixel_mean: float
    pixel_std: float

    def summary(self) -> dict:
        h, w, c = self.image_shape
        return {
            "images": self.count,
            "size": f"{h}x{w}x{c}",
            "classes": len(self.class_names) or "unlabelled",
            "pixel mean": round(self.pixel_mean, 1),
            "pixel std": round(self.pixel_std, 1),
        }


def compute_stats(ds: Dataset, max_pixels: int = 4_000_000) -> DatasetStats:
    """Count, shape, class histogram, mean image per class and pixel histogram.

    The pixel histogram uses an evenly spaced subset of images when the dataset
    has more than ``max_pixels`` pixels, so it stays fast on large imports.
    """
    images = ds.images
    stride = max(1, images.size // max_pixels)
    sample = images[::stride]
    histogram = np.bincount(sample.ravel(), minlength=256)
    if ds.labels is not None:
        k = ds.num_classes
        counts = np.bincount(ds.labels, minlength=k)
        means = np.zeros((k, *ds.image_shape), np.float32)
        for c in range(k):
            if counts[c]:
                means[c] = images[ds.labels == c].mean(axis=0, dtype=np.float64)
    else:
        counts = np.array([len(ds)])
        means = images.mean(axis=0, dtype=np.float64)[None].astype(np.float32)
    return DatasetStats(
        name=ds.name,
        count=len(ds),
        image_shape=ds.image_shape,
        class_names=list(ds.class_names),
        class_counts=[int(c) for c in counts],
        class_means=means,
        pixel_histogram=histogram,
        pixel_mean=float(sample.mean()),
        pixel_std=float(sample.std()),
    )
