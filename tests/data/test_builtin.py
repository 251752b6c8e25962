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


def test_tensorflow_starts_without_the_packages_it_does_not_need_and_leaves_them_importable():
    code = (
        "import sys; from genlib.training.backends import SKIPPED_AT_IMPORT, import_quietly; import_quietly(); "
        "print(sorted(n for n in SKIPPED_AT_IMPORT if n in sys.modules)); "
        "import sklearn.datasets, pandas, scipy.linalg; "
        "print(pandas.DataFrame({'a': [1]}).shape, scipy.linalg.sqrtm([[4.0]])[0][0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[-2] == "[]"  # none was imported with TensorFlow and Keras
    assert out[-1] == "(1, 1) 2.0"  # each works when asked for afterwards


def test_the_app_server_keeps_pandas_importable_while_tensorflow_starts():
    """Other sessions' threads may import pandas at that moment: in the server only scikit-learn is skipped."""
    code = (
        "import sys, streamlit; from genlib.training.backends import without_unused_packages\n"
        "with without_unused_packages():\n"
        "    import pandas\n"
        "    print(sys.modules.get('sklearn', 'absent'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "None"
