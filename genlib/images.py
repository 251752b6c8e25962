"""Sample grids and animations as image files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from .io import atomic_path


def make_grid(images: np.ndarray, ncols: int = 8, pad: int = 2, min_cell: int = 32) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one (rows*H', cols*W', C) array.

    Small images are enlarged by an integer factor (nearest neighbour) so each
    cell is at least ``min_cell`` pixels: 8x8 digits stay readable.
    """
    n, h, w, c = images.shape
    scale = max(1, math.ceil(min_cell / max(h, w)))
    if scale > 1:
        images = images.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), 40, np.uint8)
    for i in range(n):
        r, k = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + k * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def label_rows(grid: np.ndarray, labels: list[str], margin: int = 90) -> np.ndarray:
    """``grid`` (rows of equal height) with each row's label written in a margin on its left."""
    from PIL import ImageDraw, ImageFont

    rows = len(labels)
    h = grid.shape[0]
    canvas = Image.new("RGB", (grid.shape[1] + margin, h), (40, 40, 40))
    canvas.paste(to_pil(grid).convert("RGB"), (margin, 0))
    draw = ImageDraw.Draw(canvas)
    row_h = h / rows
    font = ImageFont.load_default(size=max(10, min(18, int(row_h * 0.45))))
    for i, text in enumerate(labels):
        draw.text((6, (i + 0.5) * row_h), text[:12], fill=(235, 235, 235), font=font, anchor="lm")
    return np.asarray(canvas)


def to_pil(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def save_png(array: np.ndarray, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        to_pil(array).save(tmp, format="PNG")


def save_gif(frames: list[Image.Image], path: str | Path, ms_per_frame: int = 300) -> None:
    """An animated GIF that loops; the last frame is held twice as long."""
    if not frames:
        raise ValueError("no frames for the GIF")
    durations = [ms_per_frame] * (len(frames) - 1) + [ms_per_frame * 2]
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
