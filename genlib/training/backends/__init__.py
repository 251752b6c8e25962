"""Backend-specific step code, chosen once from ``keras.backend.backend()``.

Each backend module provides:
- ``run_phases(phases, batch) -> logs``: ``phase.repeat`` eager/traceable updates per phase,
  in order, each followed by ``phase.after()``; the logs of each phase's last update;
- ``input_gradient(fn, x)``: d fn(x) / dx for a scalar ``fn(x)``, itself differentiable
  by an enclosing update (gradient penalties);
- ``compile_step(model, jit_compile) -> step(images, labels, index) -> logs``;
- ``variable_copier(variables) -> copy() -> [tensor]``: copies of the variables' current values;
- ``add_n(tensors) -> tensor``: the sum of same-shaped tensors in one call;
- ``use_xla(family, device, images) -> bool``: whether a run of that many images is compiled with
  XLA (from a measured table);
- ``configure()`` (e.g. GPU memory growth) and ``device_info() -> dict``.
A second backend is one new file here.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import tempfile

from ...errors import GenlibError


@functools.lru_cache(maxsize=1)
def backend():
    import keras

    name = keras.backend.backend()
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise GenlibError(
            f"genlib has no training step for the {name!r} Keras backend yet; "
            f"unset KERAS_BACKEND or set KERAS_BACKEND=tensorflow"
        ) from None


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


# Optional packages that TensorFlow and Keras import when installed, for features genlib does not
# use, with their cost on the 2-core development machine (python -X importtime): scikit-learn for
# Keras's scikit-learn wrappers (1.4 s), pandas for DataFrames in Keras ``fit`` (0.55 s), SciPy's
# sparse matrices for tf.keras v1's array training (0.2 s). Each of these imports is wrapped in
# try/except there, so a missing package turns the feature off. (requests is not: TensorFlow's
# failure handling needs it.)
SKIPPED_AT_IMPORT = ("sklearn", "pandas", "scipy")


@contextlib.contextmanager
def without_unused_packages():
    """While TensorFlow and Keras are imported, mark ``SKIPPED_AT_IMPORT`` missing (each can be imported
    normally afterwards). Not in the app's server, whose other sessions may import pandas at that
    moment in their own threads; there only scikit-learn, which no page uses."""
    names = SKIPPED_AT_IMPORT if "streamlit" not in sys.modules else ("sklearn",)
    skipped = [name for name in names if name not in sys.modules]  # one imported already costs nothing
    for name in skipped:
        sys.modules[name] = None  # makes ``import name`` raise ImportError
    try:
        yield
    finally:
        for name in skipped:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]


def import_quietly() -> None:
    """Import TensorFlow and Keras and probe devices with the start-up noise hidden."""
    with quiet_native_stderr(), without_unused_packages():
        try:
            import keras  # noqa: F401
        except ImportError as exc:  # KERAS_BACKEND names a backend that is not installed
            wanted = os.environ.get("KERAS_BACKEND", "tensorflow")
            raise GenlibError(
                f"Keras could not load its {wanted!r} backend ({exc}); genlib trains with TensorFlow: "
                f"unset KERAS_BACKEND or set KERAS_BACKEND=tensorflow"
            ) from None

        backend().device_info()


def record_device() -> None:
    """Write this machine's device summary to workspace/device.json (the worker's warm process does,
    so the app can show it without importing TensorFlow itself)."""
    from ... import paths
    from ...io import write_json

    write_json(paths.home() / "device.json", backend().device_info())


def recorded_device() -> dict | None:
    """The summary ``record_device`` wrote, or None."""
    from ... import paths
    from ...io import read_json

    try:
        return read_json(paths.home() / "device.json")
    except (FileNotFoundError, ValueError):
        return None
