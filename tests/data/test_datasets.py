import numpy as np
import pytest

from genlib import data
from genlib.data import compute_stats, make_shapes
from genlib.errors import DatasetError


def test_digits_is_the_offline_default():
    ds = data.load_dataset("digits")
    assert data.DEFAULT_DATASET == "digits"
    assert ds.images.shape == (1797, 8, 8, 1) and ds.images.dtype == np.uint8
    assert ds.num_classes == 10 and ds.images.max() == 255


def test_shapes_are_deterministic_and_labelled():
    a, la = make_shapes(20, size=16, seed=3)
    b, lb = make_shapes(20, size=16, seed=3)
    c, _ = make_shapes(20, size=16, seed=4)
    assert np.array_equal(a, b) and np.array_equal(la, lb) and not np.array_equal(a, c)
    assert a.shape == (20, 16, 16, 1) and set(la) <= {0, 1, 2, 3}
    assert (a.reshape(20, -1).max(axis=1) > 150).all()  # every image has a visible shape


def test_listing_has_builtins_first():
    names = [d.name for d in data.list_datasets()]
    assert names[:2] == ["digits", "shapes"] and {"mnist", "fashion_mnist", "cifar10"} <= set(names)


def test_unknown_dataset_lists_the_available_ones():
    with pytest.raises(DatasetError, match="unknown dataset 'nope'; available: digits"):
        data.load_dataset("nope")


def test_keras_dataset_offline_gives_clear_message(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure on https://example/mnist.npz: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DatasetError, match=r"could not download mnist .*offline.*python -m genlib import"):
        data.load_dataset("mnist")


def test_stats_of_a_labelled_dataset():
    images = np.zeros((6, 8, 8, 1), np.uint8)
    images[3:] = 200
    ds = data.make_dataset("t", images, np.array([0, 0, 0, 1, 1, 1]))
    st = compute_stats(ds)
    assert st.count == 6 and st.class_counts == [3, 3]
    assert st.class_means.shape == (2, 8, 8, 1)
    assert st.class_means[0].max() == 0 and st.class_means[1].min() == 200
    assert st.pixel_histogram.sum() == images.size and st.pixel_histogram[200] == 3 * 64
    assert st.summary()["images"] == 6


def test_stats_of_an_unlabelled_dataset():
    ds = data.make_dataset("t", np.full((4, 8, 8), 10, np.uint8))
    st = compute_stats(ds)
    assert st.class_counts == [4] and st.class_means.shape == (1, 8, 8, 1) and st.pixel_mean == 10
