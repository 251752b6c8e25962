"""Dataset registry: built-ins plus datasets imported into the workspace.

>>> from genlib import data
>>> ds = data.load_dataset("digits")            # works offline
>>> data.import_dataset("t10k-images-idx3-ubyte.gz", "mnist-test")
>>> data.load_dataset("mnist-test").images.shape
(10000, 28, 28, 1)
"""

from __future__ import annotations

import functools
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import paths
from ..access import LOCAL, User
from ..errors import DatasetError
from ..io import atomic_path
from .builtin import BUILTINS, DOWNLOADED, builtin_loader, make_shapes
from .dataset import Dataset, make_dataset
from .importers import read_any
from .stats import DatasetStats, compute_stats

__all__ = [
    "Dataset",
    "DatasetInfo",
    "DatasetStats",
    "compute_stats",
    "dataset_stamp",
    "delete_dataset",
    "import_dataset",
    "list_datasets",
    "load_dataset",
    "make_dataset",
    "make_shapes",
]

DEFAULT_DATASET = "digits"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    builtin: bool
    download: bool = False  # fetched through keras.datasets on first use


def _imported_path(name: str) -> Path:
    return paths.datasets_dir() / f"{name}.npz"


def list_datasets() -> list[DatasetInfo]:
    """Built-ins first (default first), then imported datasets by name."""
    out = [DatasetInfo(name, desc, True, name in DOWNLOADED) for name, (_, desc) in BUILTINS.items()]
    folder = paths.datasets_dir()
    if folder.is_dir():
        for f in sorted(folder.glob("*.npz")):
            if paths.is_valid_id(f.stem) and f.stem not in BUILTINS:
                out.append(DatasetInfo(f.stem, "imported", False))
    return out


def dataset_stamp(name: str) -> int:
    """Changes whenever the dataset's content may have (imported file's mtime; 0 for built-ins)."""
    path = _imported_path(name) if paths.is_valid_id(name) and name not in BUILTINS else None
    return path.stat().st_mtime_ns if path is not None and path.is_file() else 0


def load_dataset(name: str) -> Dataset:
    """Load a dataset by name (cached per process; imported files by mtime)."""
    if name in BUILTINS:
        return _load_builtin(name)
    path = _imported_path(name) if paths.is_valid_id(name) else None
    if path is None or not path.is_file():
        known = ", ".join(d.name for d in list_datasets())
        raise DatasetError(f"unknown dataset {name!r}; available: {known}")
    return _load_imported(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_builtin(name: str) -> Dataset:
    return builtin_loader(name)()


@functools.lru_cache(maxsize=4)
def _load_imported(path: str, _mtime: int) -> Dataset:
    with zipfile.ZipFile(path) as archive:
        images = _read_aligned(archive, "images.npy")
    with np.load(path, allow_pickle=False) as f:  # reads each member when asked: not the images again
        labels = f["labels"] if f["labels"].size else None
        return make_dataset(Path(path).stem, images, labels, [str(s) for s in f["class_names"]], str(f["description"]))


# Bytes. A CPU tensor can use a NumPy array's memory in place when it starts on such a boundary
# (genlib.training.backends: to_device), so a large imported set is held once, not twice.
ALIGN = 64
_READ_CHUNK = 4 * 2**20


def aligned_empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised C-ordered array whose data starts on an ``ALIGN``-byte boundary."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    raw = np.empty(nbytes + ALIGN, np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def _read_aligned(archive: zipfile.ZipFile, member: str) -> np.ndarray:
    """An .npz member read straight into an aligned array, a few MB at a time (``np.load`` would hold
    the decompressed bytes and the array at once: twice the pixels at the peak)."""
    with archive.open(member) as fp:
        version = np.lib.format.read_magic(fp)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = header(fp)
        if fortran_order or dtype.hasobject:
            raise DatasetError(f"{archive.filename}: {member} is not a plain array; import the dataset again")
        out = aligned_empty(shape, dtype)
        view = memoryview(out.reshape(-1).view(np.uint8))
        filled = 0
        while filled < len(view):
            got = fp.readinto(view[filled : filled + _READ_CHUNK])
            if not got:
                raise DatasetError(f"{archive.filename}: {member} is cut short; import the dataset again")
            filled += got
    return out


def check_new_name(name: str, overwrite: bool = False) -> Path:
    """Where an import named ``name`` would go; DatasetError if the name is invalid or taken."""
    if not paths.is_valid_id(name):
        raise DatasetError(f"dataset name {name!r} must be 1-64 lowercase letters, digits, '-' or '_'")
    if name in BUILTINS:
        raise DatasetError(f"{name!r} is a built-in dataset; choose another name (e.g. my-{name})")
    target = _imported_path(name)
    if target.exists() and not overwrite:
        raise DatasetError(f"a dataset named {name!r} already exists; choose another name, or replace it")
    return target


def import_dataset(
    src: str | Path, name: str, labels_path: str | Path | None = None, overwrite: bool = False
) -> Dataset:
    """Validate a file and store it as dataset ``name``; on any error nothing is written.

    Args:
        src: an IDX file (.gz or raw; its labels file beside it is found by name),
            a .npz / .npy array file, or a .zip with one sub-folder of images per class.
        name: the new dataset's name (lowercase letters, digits, '-', '_').
        labels_path: a second file with the labels (IDX, .npy or .npz), for sets shipped
            as two files; an IDX labels file beside ``src`` is found by name. Defaults to None.
        overwrite: replace an imported dataset of the same name. Defaults to False.
    """
    target = check_new_name(name, overwrite)
    images, labels, class_names = read_any(src, labels_path)
    ds = make_dataset(name, images, labels, class_names, f"imported from {Path(src).name}")
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                images=ds.images,
                labels=ds.labels if ds.labels is not None else np.zeros(0, np.int32),
                class_names=np.array(ds.class_names, dtype=str),
                description=np.array(ds.description),
            )
    return ds


def delete_dataset(name: str, user: User = LOCAL) -> None:
    """Remove an imported dataset's file; refused while a queued or running job trains on it.

    Finished runs that used it keep their samples and models; what needs the data
    again (evaluation, reconstructions) tells the user it is gone.
    """
    from ..runs import RunStore

    user.require_presenter("delete datasets")
    if name in BUILTINS:
        raise DatasetError(f"{name!r} is built in and cannot be deleted")
    path = _imported_path(name) if paths.is_valid_id(name) else None
    if path is None or not path.is_file():
        raise DatasetError(f"no imported dataset named {name!r}")
    busy = [r.id for r in RunStore().using_dataset(name) if r.status().get("state") in ("queued", "running")]
    if busy:
        raise DatasetError(f"{name!r} is in use by {len(busy)} active run(s) ({busy[0]}); stop them first")
    path.unlink()
