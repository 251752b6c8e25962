"""Backend-specific step code, chosen once from ``keras.backend.backend()``.

Each backend module provides:
- ``run_phases(phases, batch) -> logs``: one eager/traceable update per phase;
- ``compile_step(model, jit_compile) -> step(images, labels, index) -> logs``;
- ``configure()`` (e.g. GPU memory growth) and ``device_info() -> dict``.
A second backend is one new file here.
"""

from __future__ import annotations

import functools
import importlib


@functools.lru_cache(maxsize=1)
def backend():
    import keras

    name = keras.backend.backend()
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise RuntimeError(f"genlib has no training step for the {name!r} Keras backend yet") from None
