"""The embedded digits are read from scikit-learn's installed CSV without importing scikit-learn
(about 1.4 s, on the way to a demo's first grid), and equal what scikit-learn's loader returns."""

import subprocess
import sys

import numpy as np


def test_digits_come_from_the_installed_csv_without_importing_sklearn_and_match_its_loader():
    code = (
        "import sys; from genlib.data.builtin import load_digits; ds = load_digits(); "
        "print(len(ds), ds.images.dtype, ds.images.max(), 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1797", "uint8", "255", "False"]

    from sklearn.datasets import load_digits as sklearn_digits

    from genlib.data.builtin import load_digits

    ours, theirs = load_digits(), sklearn_digits()
    assert np.array_equal(ours.labels, theirs.target)
    assert np.array_equal(ours.images[..., 0], np.round(theirs.images * (255.0 / 16.0)).astype(np.uint8))


def test_tensorflow_start_leaves_sklearn_importable():
    code = (
        "import sys; from genlib.training.backends import import_quietly; import_quietly(); "
        "assert 'sklearn' not in sys.modules; import sklearn.datasets; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("ok")
