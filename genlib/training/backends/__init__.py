"""Backend-specific step code, chosen once from ``keras.backend.backend()``.

Each backend module provides:
- ``run_phases(phases, batch) -> logs``: one eager/traceable update per phase;
- ``compile_step(model, jit_compile) -> step(images, labels, index) -> logs``;
- ``configure()`` (e.g. GPU memory growth) and ``device_info() -> dict``.
A second backend is one new file here.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import tempfile


@functools.lru_cache(maxsize=1)
def backend():
    import keras

    name = keras.backend.backend()
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise RuntimeError(f"genlib has no training step for the {name!r} Keras backend yet") from None


@contextlib.contextmanager
def quiet_native_stderr():
    """Hide what native libraries print to fd 2 (TensorFlow's CUDA probing at start-up).

    On an exception the captured text is written back, so real errors stay visible.
    """
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            os.write(2, capture.read())
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_quietly() -> None:
    """Import TensorFlow and Keras and probe devices with the start-up noise hidden."""
    with quiet_native_stderr():
        import keras  # noqa: F401

        backend().device_info()
