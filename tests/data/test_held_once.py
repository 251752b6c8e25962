"""A large imported set is held once: read aligned from its .npz, used in place by the CPU tensor."""

import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from genlib import data
from genlib.errors import DatasetError


def _import(tmp_path, n=300, name="held"):
    images = np.random.default_rng(1).integers(0, 256, (n, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "x.npy", images)
    data.import_dataset(tmp_path / "x.npy", name)
    return images


def test_imported_images_are_read_aligned_and_unchanged(tmp_path):
    images = _import(tmp_path)
    ds = data.load_dataset("held")
    assert ds.images.ctypes.data % data.ALIGN == 0
    assert ds.images.flags.c_contiguous and ds.images.flags.writeable
    np.testing.assert_array_equal(ds.images[..., 0], images)


def test_a_cut_short_file_is_a_clear_error(tmp_path, workspace):
    _import(tmp_path, name="cut")
    path = next((workspace / "datasets").glob("cut.npz"))
    with zipfile.ZipFile(path) as archive:
        members = {m: archive.read(m) for m in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:  # the images member loses its last 100 bytes
        for member, body in members.items():
            archive.writestr(member, body[:-100] if member == "images.npy" else body)
    data._load_imported.cache_clear()
    with pytest.raises(DatasetError, match="cut short"):
        data.load_dataset("cut")


def test_an_aligned_array_becomes_a_cpu_tensor_without_a_copy():
    from genlib.training.backends import backend

    be = backend()
    aligned = data.aligned_empty((4, 8, 8, 1), np.uint8)
    aligned[:] = 3
    tensor = be.to_device(aligned)
    aligned[0, 0, 0, 0] = 200  # the same memory: the tensor sees it
    assert int(tensor[0, 0, 0, 0]) == 200
    unaligned = np.full(4 * 64 + 1, 3, np.uint8)[1:].reshape(4, 8, 8, 1)
    copied = be.to_device(unaligned)
    unaligned[0, 0, 0, 0] = 200
    assert int(copied[0, 0, 0, 0]) == 3  # not aligned: copied, as before
    assert int(be.to_device(aligned, "int32")[0, 0, 0, 0]) == 200  # another dtype: converted


def test_loading_and_placing_a_set_adds_its_size_once_to_the_peak(tmp_path, workspace):
    """In a fresh process with TensorFlow loaded: the peak RSS grows by about one copy of the pixels
    (it grew by two to three before: the decompressed bytes, the array and the tensor's copy)."""
    images = np.random.default_rng(2).integers(0, 256, (120_000, 28, 28), dtype=np.uint8)  # 94 MB
    np.save(tmp_path / "big.npy", images)
    data.import_dataset(tmp_path / "big.npy", "big")
    del images
    script = textwrap.dedent(
        """
        import resource
        from genlib.training.backends import backend, import_quietly
        import_quietly()
        be = backend()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        from genlib.data import load_dataset
        ds = load_dataset("big")
        tensor = be.to_device(ds.images)
        print(int(tensor[-1].numpy().sum()) == int(ds.images[-1].sum()))
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 / ds.images.nbytes)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout.split()
    assert out[0] == "True"
    assert float(out[1]) < 1.3, f"the peak grew by {float(out[1]):.2f} copies of the pixels"
