"""Every importer with good files, and bad files that must raise and write nothing."""

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from genlib import data, paths
from genlib.errors import DatasetError


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    return np.random.default_rng(1).integers(0, 256, (30, 12, 12), dtype=np.uint8)


@pytest.fixture
def labels():
    return (np.arange(30) % 3).astype(np.uint8)


def stored():
    folder = paths.datasets_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- good files ----------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_idx_with_labels_beside_it(tmp_path, images, labels, compress):
    suffix = ".gz" if compress else ""
    write = (lambda p, b: p.write_bytes(gzip.compress(b))) if compress else (lambda p, b: p.write_bytes(b))
    write(tmp_path / f"train-images-idx3-ubyte{suffix}", idx_bytes(images))
    write(tmp_path / f"train-labels-idx1-ubyte{suffix}", idx_bytes(labels))
    ds = data.import_dataset(tmp_path / f"train-images-idx3-ubyte{suffix}", "mine")
    assert ds.images.shape == (30, 12, 12, 1) and np.array_equal(ds.images[..., 0], images)
    loaded = data.load_dataset("mine")
    assert np.array_equal(loaded.labels, labels) and loaded.num_classes == 3
    assert "mine" in [d.name for d in data.list_datasets()]


def test_npz_with_labels_and_class_names(tmp_path, images, labels):
    np.savez(tmp_path / "d.npz", x=images.astype(np.float32) / 255.0, y=labels, class_names=["a", "b", "c"])
    ds = data.import_dataset(tmp_path / "d.npz", "npz-set")
    assert ds.class_names == ["a", "b", "c"] and np.abs(ds.images[..., 0].astype(int) - images).max() <= 1


def test_npy_rgb_without_labels(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    np.save(tmp_path / "rgb.npy", arr)
    ds = data.import_dataset(tmp_path / "rgb.npy", "rgb")
    assert ds.images.shape == (5, 16, 16, 3) and ds.labels is None and ds.num_classes == 0


def make_zip(path, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)


def png(size=(8, 8), mode="L", value=128, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(buf, format=fmt)
    return buf.getvalue()


def test_zip_of_class_folders(tmp_path):
    make_zip(
        tmp_path / "z.zip",
        {
            "set/cats/1.png": png(value=10),
            "set/cats/2.jpg": png(value=20, fmt="JPEG"),
            "set/dogs/1.png": png(value=200),
            "__MACOSX/set/._x.png": b"junk",
            "set/readme.txt": b"hi",
        },
    )
    ds = data.import_dataset(tmp_path / "z.zip", "pets")
    assert ds.class_names == ["cats", "dogs"] and list(ds.labels) == [0, 0, 1]
    assert ds.images.shape == (3, 8, 8, 1)


def test_zip_with_colour_images_becomes_rgb(tmp_path):
    make_zip(tmp_path / "z.zip", {"a/1.png": png(mode="RGB"), "b/1.png": png()})
    assert data.import_dataset(tmp_path / "z.zip", "colour").images.shape == (2, 8, 8, 3)


# -- bad files: clear error, nothing written ------------------------------------


def bad_files(tmp_path, images):
    raw = idx_bytes(images)
    (tmp_path / "magic-idx3-ubyte").write_bytes(b"\x12\x34" + raw[2:])
    (tmp_path / "trunc-idx3-ubyte").write_bytes(raw[:-100])
    (tmp_path / "trunc-idx3-ubyte.gz").write_bytes(gzip.compress(raw)[:-30])
    (tmp_path / "empty-idx3-ubyte").write_bytes(b"")
    (tmp_path / "labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(5, dtype=np.uint8)))
    (tmp_path / "odd-idx3-ubyte").write_bytes(idx_bytes(np.zeros((3, 30, 30), np.uint8)))
    (tmp_path / "zero-idx3-ubyte").write_bytes(idx_bytes(np.zeros((0, 8, 8), np.uint8)))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "big.npy", np.zeros((200_001, 1, 1, 1), np.uint8))
    np.save(tmp_path / "channels.npy", np.zeros((3, 8, 8, 5), np.uint8))
    np.save(tmp_path / "range.npy", np.full((3, 8, 8), 300.0))
    np.savez(tmp_path / "nokey.npz", something=np.zeros(3))
    np.savez(tmp_path / "count.npz", images=np.zeros((4, 8, 8), np.uint8), labels=np.arange(3))
    (tmp_path / "notzip.zip").write_bytes(b"PK\x03\x04 not really")
    make_zip(tmp_path / "flat.zip", {"1.png": png()})
    make_zip(tmp_path / "mixed.zip", {"a/1.png": png((8, 8)), "b/1.png": png((12, 12))})
    make_zip(tmp_path / "broken.zip", {"a/1.png": png(), "a/2.png": b"not an image"})
    make_zip(tmp_path / "noimages.zip", {"a/readme.txt": b"x"})
    (tmp_path / "photo.bmp").write_bytes(b"BM")


@pytest.mark.parametrize(
    "name, message",
    [
        ("magic-idx3-ubyte", "not an IDX file"),
        ("trunc-idx3-ubyte", "truncated"),
        ("trunc-idx3-ubyte.gz", "not a valid gzip file"),
        ("empty-idx3-ubyte", "not an IDX file"),
        ("labels-idx1-ubyte", "holds labels"),
        ("odd-idx3-ubyte", "30x30 is not supported"),
        ("zero-idx3-ubyte", "empty"),
        ("obj.npy", "Python objects"),
        ("big.npy", "too many images"),
        ("channels.npy", "1 \\(grey\\) or 3 \\(RGB\\) channels"),
        ("range.npy", "pixel values must be in"),
        ("nokey.npz", "no images array"),
        ("count.npz", "3 labels for 4 images"),
        ("notzip.zip", "not a valid zip file"),
        ("flat.zip", "one sub-folder per class"),
        ("mixed.zip", "mixed image sizes"),
        ("broken.zip", "a/2.png is not a readable image"),
        ("noimages.zip", "no PNG or JPEG images"),
        ("photo.bmp", "don't know how to import"),
        ("missing.npz", "no such file"),
    ],
)
def test_bad_file_raises_and_writes_nothing(tmp_path, images, name, message):
    bad_files(tmp_path, images)
    with pytest.raises(DatasetError, match=message):
        data.import_dataset(tmp_path / name, "bad")
    assert stored() == []


def test_names_are_checked(tmp_path, images):
    np.save(tmp_path / "ok.npy", images)
    for name, message in [("digits", "built-in"), ("../x", "lowercase"), ("", "lowercase")]:
        with pytest.raises(DatasetError, match=message):
            data.import_dataset(tmp_path / "ok.npy", name)
    data.import_dataset(tmp_path / "ok.npy", "ok")
    with pytest.raises(DatasetError, match="already exists"):
        data.import_dataset(tmp_path / "ok.npy", "ok")
    data.delete_dataset("ok")
    assert stored() == []


# -- two files: images and labels (the KMNIST way) --------------------------------


@pytest.mark.parametrize("labels_file", ["labels.npy", "labels.npz", "y.npz", "labels-idx1-ubyte"])
def test_labels_from_a_second_file_in_any_array_format(tmp_path, images, labels, labels_file):
    np.savez(tmp_path / "imgs.npz", images)  # arr_0 only: no labels inside
    path = tmp_path / labels_file
    if labels_file == "labels.npy":
        np.save(path, labels)
    elif labels_file == "labels.npz":
        np.savez(path, labels=labels)
    elif labels_file == "y.npz":
        np.savez(path, whatever=labels)  # a lone array is taken as the labels
    else:
        path.write_bytes(idx_bytes(labels))
    ds = data.import_dataset(tmp_path / "imgs.npz", "pair", labels_path=path)
    assert ds.num_classes == 3 and np.array_equal(ds.labels, labels)
    assert data.load_dataset("pair").num_classes == 3


def test_idx_images_with_npy_labels_and_raw_idx_without_a_telling_name(tmp_path, images, labels):
    (tmp_path / "images.bin").write_bytes(idx_bytes(images))  # recognised by its magic number
    np.save(tmp_path / "labels.npy", labels)
    ds = data.import_dataset(tmp_path / "images.bin", "raw-idx", labels_path=tmp_path / "labels.npy")
    assert len(ds) == 30 and ds.num_classes == 3


def test_labels_file_of_the_wrong_length_or_shape_is_refused(tmp_path, images):
    np.save(tmp_path / "imgs.npy", images)
    np.save(tmp_path / "short.npy", np.arange(5))
    np.save(tmp_path / "square.npy", np.zeros((30, 2), np.int64))
    with pytest.raises(DatasetError, match="5 labels for 30 images"):
        data.import_dataset(tmp_path / "imgs.npy", "x", labels_path=tmp_path / "short.npy")
    with pytest.raises(DatasetError, match="does not hold labels"):
        data.import_dataset(tmp_path / "imgs.npy", "x", labels_path=tmp_path / "square.npy")
    assert stored() == []


def test_random_bytes_are_not_called_pickles_but_pickles_are(tmp_path):
    import pickle

    (tmp_path / "noise.npy").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(DatasetError, match="not a NumPy file"):
        data.import_dataset(tmp_path / "noise.npy", "x")
    (tmp_path / "real.npz").write_bytes(pickle.dumps({"images": [1, 2]}))
    with pytest.raises(DatasetError, match="pickles"):
        data.import_dataset(tmp_path / "real.npz", "x")
    assert stored() == []


def test_dataset_names_with_a_trailing_newline_are_refused(tmp_path, images):
    np.save(tmp_path / "ok.npy", images)
    with pytest.raises(DatasetError, match="lowercase"):
        data.import_dataset(tmp_path / "ok.npy", "trail\n")
    assert stored() == []


def test_a_dataset_in_use_by_a_live_run_cannot_be_deleted(tmp_path, images):
    from genlib.runs import RunStore

    np.save(tmp_path / "ok.npy", images)
    data.import_dataset(tmp_path / "ok.npy", "busy-set")
    run = RunStore().create({"train": {"dataset": "busy-set", "family": "gan"}, "model": {}}, "r")
    with run.lock():  # as a trainer holds it
        run.update_status(state="running")
        with pytest.raises(DatasetError, match="in use by 1 active run"):
            data.delete_dataset("busy-set")
    run.update_status(state="completed")
    data.delete_dataset("busy-set")
    assert stored() == []
