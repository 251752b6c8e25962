"""Read image files into arrays: IDX (.gz or raw), .npz / .npy, and .zip of class folders.

Each reader returns ``(images, labels, class_names)`` as raw arrays; validation of
shapes and values happens once, in :func:`genlib.data.dataset.make_dataset`. A
bad file raises DatasetError before anything is written.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..errors import DatasetError
from .dataset import MAX_BYTES, MAX_IMAGES, MAX_SIDE, MIN_SIDE

MAX_FILE_BYTES = MAX_BYTES + (64 << 20)  # decoded size limit for any one input file
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

Arrays = tuple[np.ndarray, "np.ndarray | None", "list[str] | None"]


def read_any(path: str | Path, labels_path: str | Path | None = None) -> Arrays:
    """Pick the reader from the file's name and contents.

    Args:
        path: the images file.
        labels_path: a second file with one integer label per image, in any of the
            array formats (IDX, .npy, .npz); it replaces labels found in ``path``.
            Defaults to None (IDX files still find their labels file by name).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no such file: {path}")
    if labels_path is not None and not Path(labels_path).is_file():
        raise DatasetError(f"no such labels file: {labels_path}")
    name = path.name.lower()
    if name.endswith(".zip"):
        if labels_path is not None:
            raise DatasetError("a .zip takes its labels from its class folders; leave out the labels file")
        return read_zip(path)
    if _is_idx(path):
        images, labels, names = read_idx_pair(path)
    elif name.endswith(".npz") or name.endswith(".npy"):
        images, labels, names = read_numpy(path)
    else:
        raise DatasetError(_UNKNOWN_FORMAT.format(name=path.name))
    if labels_path is not None:
        labels = read_labels(Path(labels_path))
    return images, labels, names


def read_labels(path: Path) -> np.ndarray:
    """One integer label per image from an IDX, .npy or .npz file (the KMNIST way: two files)."""
    if _is_idx(path):
        labels = read_idx(path, images=False)
    elif path.name.lower().endswith((".npz", ".npy")):
        labels = _numpy_labels(path)
    else:
        raise DatasetError(f"don't know how to read labels from {path.name}: use IDX, .npy or .npz")
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DatasetError(f"{path.name} does not hold labels: expected one number per image, got shape {labels.shape}")
    return labels


def _is_idx(path: Path) -> bool:
    """IDX by name (…-ubyte, idx) or, for files without a telling name, by the magic number."""
    name = path.name.lower()
    if "idx" in name or "ubyte" in name:
        return True
    if name.endswith((".npz", ".npy", ".zip")):
        return False
    with open(path, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        return not name.endswith((".npz.gz", ".npy.gz"))
    return len(head) == 4 and head[:2] == b"\0\0" and head[2] in _IDX_DTYPES and 1 <= head[3] <= 4


_UNKNOWN_FORMAT = (
    "don't know how to import {name}: use IDX (.gz or raw, e.g. train-images-idx3-ubyte.gz), "
    ".npz / .npy arrays, or a .zip with one folder of PNG/JPEG images per class"
)


# -- IDX ---------------------------------------------------------------------


def _open_maybe_gzip(path: Path):
    """The file, decompressed on the fly if it is gzip: read in bounded pieces, never whole."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def read_idx(path: Path, images: bool = True) -> np.ndarray:
    """An IDX file (the MNIST format), checked from its header before its data is read.

    The declared dimensions are checked against the size limits and, for images, the
    element type must be unsigned bytes, so a small file cannot declare (or inflate
    to) gigabytes, and a float file is not taken for blank pictures.
    """
    name = path.name
    try:
        with _open_maybe_gzip(path) as f:
            head = f.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
                raise DatasetError(f"{name} is not an IDX file (wrong magic number {head.hex() or 'empty'})")
            ndim = head[3]
            if not 1 <= ndim <= 4:
                raise DatasetError(f"{name}: IDX files with {ndim} dimensions are not supported")
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DatasetError(f"{name} is truncated: the header is incomplete")
            dims = tuple(int.from_bytes(raw_dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
            dtype = np.dtype(_IDX_DTYPES[head[2]])
            if images and ndim > 1 and dtype != np.uint8:
                raise DatasetError(
                    f"{name} holds {dtype.name} values; IDX images must be unsigned bytes (0-255, type 0x08)"
                )
            count = 1
            for d in dims:
                count *= d  # Python integers: a crafted header cannot overflow the check
            expected = count * dtype.itemsize
            if expected > MAX_FILE_BYTES:
                raise DatasetError(f"{name} declares {dims} values: over the {MAX_FILE_BYTES >> 20:,} MiB limit")
            data = f.read(expected)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{name} is damaged or not a valid gzip file ({exc})") from None
    if len(data) < expected:
        raise DatasetError(
            f"{name} is truncated: the header declares {dims} but only "
            f"{len(data):,} of {expected:,} data bytes are present"
        )
    return np.frombuffer(data, dtype, count=count).reshape(dims)


def _labels_sibling(path: Path) -> Path | None:
    """train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz, if it exists."""
    name = re.sub(r"images", "labels", path.name)
    name = re.sub(r"idx3", "idx1", name)
    candidate = path.with_name(name)
    return candidate if candidate != path and candidate.is_file() else None


def read_idx_pair(path: Path, labels_path: str | Path | None = None) -> Arrays:
    images = read_idx(path)
    if images.ndim == 1:
        raise DatasetError(f"{path.name} holds labels (1-D); import the images file instead")
    if images.ndim not in (3, 4):
        raise DatasetError(f"{path.name} holds a {images.ndim}-D array; images must be (N, H, W) or (N, H, W, C)")
    labels_file = Path(labels_path) if labels_path else _labels_sibling(path)
    labels = None
    if labels_file is not None:
        if not labels_file.is_file():
            raise DatasetError(f"no such labels file: {labels_file}")
        labels = read_idx(labels_file, images=False)
        if labels.ndim != 1:
            raise DatasetError(f"{labels_file.name} is not an IDX labels file (expected 1-D, got {labels.shape})")
    return np.array(images), labels, None


# -- NumPy -------------------------------------------------------------------

_IMAGE_KEYS = ("images", "x", "x_train", "arr_0", "data")
_LABEL_KEYS = ("labels", "y", "y_train", "arr_1", "targets")


_NPY_MAGIC, _ZIP_MAGIC = b"\x93NUMPY", b"PK\x03\x04"


def _load_numpy(path: Path) -> dict[str, np.ndarray]:
    """The arrays in a .npy (under the name "array") or .npz file; pickles are refused.

    Each array's header (shape, type) is read and checked before its data is.
    """
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DatasetError(f"{path.name} is too large ({path.stat().st_size / 2**20:.0f} MiB)")
    with open(path, "rb") as f:
        head = f.read(6)
    if head[:1] == b"\x80":  # the opening byte of a pickle (protocol 2 and later)
        raise DatasetError(f"{path.name} contains Python objects (pickles), which are not loaded for safety")
    if head != _NPY_MAGIC and head[:4] != _ZIP_MAGIC:
        raise DatasetError(f"{path.name} is not a NumPy file: it does not start with the .npy or .npz signature")
    try:
        if head == _NPY_MAGIC:
            with open(path, "rb") as f:
                return {"array": _read_npy(f, path.name)}
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.endswith(".npy")]
            if sum(i.file_size for i in members) > MAX_FILE_BYTES:
                raise DatasetError(f"{path.name} is too large once uncompressed")
            out = {}
            for info in members:
                with archive.open(info) as f:
                    out[info.filename[:-4]] = _read_npy(f, f"{path.name}:{info.filename}")
            return out
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DatasetError(f"{path.name} is damaged ({exc})") from None


def _read_npy(f, name: str) -> np.ndarray:
    """One .npy stream: header checked (no objects, size within limits), then exactly its data read."""
    try:
        version = np.lib.format.read_magic(f)
        shape, fortran, dtype = (
            np.lib.format.read_array_header_1_0(f) if version == (1, 0) else np.lib.format.read_array_header_2_0(f)
        )
    except ValueError as exc:
        raise DatasetError(f"{name} is not a valid NumPy array ({exc})") from None
    if dtype.hasobject:
        raise DatasetError(f"{name} contains Python objects (pickles), which are not loaded for safety")
    count = 1
    for d in shape:
        count *= d
    if count * dtype.itemsize > MAX_FILE_BYTES:
        raise DatasetError(
            f"{name} declares an array of {shape} ({count * dtype.itemsize / 2**30:,.1f} GiB): too large"
        )
    data = f.read(count * dtype.itemsize)
    if len(data) < count * dtype.itemsize:
        raise DatasetError(f"{name} is truncated: {len(data):,} of {count * dtype.itemsize:,} bytes present")
    array = np.frombuffer(data, dtype, count=count)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def read_numpy(path: Path) -> Arrays:
    arrays = _load_numpy(path)
    if "array" in arrays and len(arrays) == 1:
        return arrays["array"], None, None
    image_key = next((k for k in _IMAGE_KEYS if k in arrays), None)
    if image_key is None:
        expected, found = ", ".join(_IMAGE_KEYS), ", ".join(arrays) or "nothing"
        raise DatasetError(f"{path.name} has no images array: expected one of {expected}; found {found}")
    label_key = next((k for k in _LABEL_KEYS if k in arrays), None)
    names = [str(s) for s in arrays["class_names"]] if "class_names" in arrays else None
    return arrays[image_key], arrays[label_key] if label_key else None, names


def _numpy_labels(path: Path) -> np.ndarray:
    """The labels array of a .npy, or of a .npz by name (labels, y, ...) or as its only array."""
    arrays = _load_numpy(path)
    key = next((k for k in _LABEL_KEYS if k in arrays), None)
    if key is None and len(arrays) == 1:
        key = next(iter(arrays))
    if key is None:
        expected, found = ", ".join(_LABEL_KEYS), ", ".join(arrays)
        raise DatasetError(f"{path.name} has no labels array: expected one of {expected}; found {found}")
    return arrays[key]


# -- zip of class folders ----------------------------------------------------


def read_zip(path: Path) -> Arrays:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path.name} is not a valid zip file ({exc})") from None
    with archive:
        entries = [i for i in archive.infolist() if _is_image_entry(i.filename) and not i.is_dir()]
        if not entries:
            raise DatasetError(f"{path.name} has no PNG or JPEG images")
        if len(entries) > MAX_IMAGES:
            raise DatasetError(f"{path.name} has too many images: {len(entries):,} (limit {MAX_IMAGES:,})")
        if sum(i.file_size for i in entries) > MAX_FILE_BYTES:
            raise DatasetError(f"{path.name} is too large once uncompressed")
        classes = [PurePosixPath(i.filename).parent.name for i in entries]
        if any(c == "" for c in classes):
            raise DatasetError(
                f"{path.name}: images must be in one sub-folder per class (e.g. cats/001.png), not at the top level"
            )
        class_names = sorted(set(classes))
        pictures = [_decode(archive, i) for i in entries]
    sizes = {p.size for p in pictures}
    if len(sizes) > 1:
        first = pictures[0].size
        odd = next(i for i, p in enumerate(pictures) if p.size != first)
        raise DatasetError(
            f"mixed image sizes: {entries[0].filename} is {first[0]}x{first[1]} but "
            f"{entries[odd].filename} is {pictures[odd].size[0]}x{pictures[odd].size[1]}; resize them to one size"
        )
    grey = all(p.mode in ("1", "L", "LA", "I", "I;16", "F") for p in pictures)
    mode = "L" if grey else "RGB"
    images = np.stack([np.asarray(p.convert(mode)) for p in pictures])
    labels = np.array([class_names.index(c) for c in classes], np.int32)
    return images, labels, class_names


def _is_image_entry(name: str) -> bool:
    p = PurePosixPath(name)
    if any(part.startswith(".") or part == "__MACOSX" for part in p.parts):
        return False
    return p.suffix.lower() in IMAGE_SUFFIXES


def _decode(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Image.Image:
    """One image, its size checked from its header before its pixels are decoded."""
    try:
        im = Image.open(io.BytesIO(archive.read(info)))
        w, h = im.size
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
            raise DatasetError(
                f"{info.filename} is {w}x{h}: images must be between {MIN_SIDE} and {MAX_SIDE} pixels a side "
                f"(resize them first)"
            )
        im.load()
        return im
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, zlib.error) as exc:
        detail = re.sub(r" ?<[^>]*>", "", str(exc)).strip()  # no object reprs in a user's message
        raise DatasetError(f"{info.filename} is not a readable image ({detail})") from None
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"{info.filename} is damaged inside the zip ({exc})") from None
