"""The Dataset type and the checks every dataset passes, built-in or imported."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import DatasetError

MIN_SIDE, MAX_SIDE = 8, 64  # models adapt to H, W multiples of 4 in this range
MAX_IMAGES = 200_000  # keeps an import well inside memory on a laptop
MAX_BYTES = 1 << 30  # 1 GiB of decoded pixels
MAX_CLASSES = 1000


@dataclass
class Dataset:
    """uint8 images (N, H, W, C), optional int labels (N,), and class names."""

    name: str
    images: np.ndarray
    labels: np.ndarray | None = None
    class_names: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.images.shape[1:])  # type: ignore[return-value]

    @property
    def num_classes(self) -> int:
        return len(self.class_names) if self.labels is not None else 0

    def __len__(self) -> int:
        return int(self.images.shape[0])


def check_images(images: np.ndarray, what: str = "images") -> np.ndarray:
    """Return images as uint8 (N, H, W, C), or raise DatasetError saying what is wrong."""
    images = np.asarray(images)
    if images.dtype == object or images.dtype.kind not in "uif b":
        raise DatasetError(f"{what} must be numeric pixel values, got dtype {images.dtype}")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise DatasetError(f"{what} must have shape (N, H, W) or (N, H, W, C), got {images.shape}")
    n, h, w, c = images.shape
    if n == 0:
        raise DatasetError(f"{what} is empty: no images found")
    if n > MAX_IMAGES:
        raise DatasetError(f"too many images: {n:,} (the limit is {MAX_IMAGES:,})")
    if images.size > MAX_BYTES:
        raise DatasetError(f"dataset too large: {images.size / 2**20:.0f} MiB of pixels (limit 1024 MiB)")
    if c not in (1, 3):
        raise DatasetError(f"images must have 1 (grey) or 3 (RGB) channels, got {c} (shape {images.shape})")
    check_side(h, w)
    return to_uint8(images, what)


def check_side(h: int, w: int) -> None:
    ok = all(MIN_SIDE <= s <= MAX_SIDE and s % 4 == 0 for s in (h, w))
    if not ok:
        raise DatasetError(
            f"image size {h}x{w} is not supported: height and width must be multiples of 4 "
            f"between {MIN_SIDE} and {MAX_SIDE}"
        )


def to_uint8(images: np.ndarray, what: str = "images") -> np.ndarray:
    """Convert pixel values to uint8: floats in [0, 1] or ints in [0, 255]."""
    if images.dtype == np.uint8:
        return images
    if not np.all(np.isfinite(images)):
        raise DatasetError(f"{what} contain NaN or infinite values")
    lo, hi = float(images.min()), float(images.max())
    if images.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
        return np.round(images * 255.0).astype(np.uint8)
    if lo >= 0 and hi <= 255:
        return np.round(images).astype(np.uint8)
    raise DatasetError(f"{what} pixel values must be in [0, 1] or [0, 255], found [{lo:g}, {hi:g}]")


def check_labels(labels: np.ndarray | None, n: int) -> np.ndarray | None:
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DatasetError(f"labels must be a 1-D array of integers, got {labels.dtype} {labels.shape}")
    if len(labels) != n:
        raise DatasetError(f"{len(labels)} labels for {n} images: the counts must match")
    if labels.min() < 0 or labels.max() >= MAX_CLASSES:
        raise DatasetError(f"labels must be between 0 and {MAX_CLASSES - 1}, found {labels.min()}..{labels.max()}")
    return labels.astype(np.int32)


def make_dataset(name, images, labels=None, class_names=None, description="") -> Dataset:
    """Validate everything and build a Dataset."""
    images = check_images(images)
    labels = check_labels(labels, len(images))
    if labels is not None and not class_names:
        class_names = [str(i) for i in range(int(labels.max()) + 1)]
    if labels is not None and len(class_names) <= int(labels.max()):
        raise DatasetError(f"{len(class_names)} class names but labels go up to {int(labels.max())}")
    return Dataset(name, images, labels, list(class_names or []), description)
