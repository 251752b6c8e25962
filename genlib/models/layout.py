"""How an image size maps onto the networks, and the convolutional families' shared fields.

Plain Python (no Keras), so configs can check a layout before any network exists.
"""

from __future__ import annotations

from ..config import param
from ..errors import ConfigError

ARCHS = ("dcgan", "resnet")


def upsample_plan(height: int, width: int) -> tuple[int, int, int]:
    """Start size and number of 2x upsamplings for an image of height x width.

    Two upsamplings always (8 -> 2, 28 -> 7); more while the start is still 8 or
    larger and even, up to four (32 -> 4 with three, 64 -> 4 with four).
    """
    n = 2
    while n < 4 and all(s % 2 ** (n + 1) == 0 and s // 2**n >= 8 for s in (height, width)):
        n += 1
    return height // 2**n, width // 2**n, n


def arch_param():
    return param(
        "dcgan",
        "Network blocks: dcgan (strided convolutions) or resnet (residual blocks: deeper, about 3x slower).",
        choices=ARCHS,
    )


def attention_param():
    # SAGAN puts one attention layer at a middle resolution; 0 leaves it out.
    return param(
        0, "Self-attention layer at this side length in both networks (0 = none; e.g. 14 for 28x28).", low=0, high=64
    )


def check_convnet(config) -> None:
    """Cross-field rules for ``arch`` and ``attention`` (called from the config's ``validate``)."""
    if config.attention:
        sides = attention_sides(config.image_shape)
        if config.attention not in sides:
            h, w = config.image_shape[:2]
            raise ConfigError(
                f"attention must be 0 or a side length both networks pass through for {h}x{w} images: "
                f"{', '.join(map(str, sides))}; got {config.attention}",
                field="attention",
            )


def attention_sides(image_shape) -> list[int]:
    """Side lengths inside both networks (not the image's own): where attention can go."""
    h, w = image_shape[:2]
    h0, _, n = upsample_plan(h, w)
    return [h0 * 2**i for i in range(n)]
