"""Files built to exhaust memory or crash a parser are refused from their headers, with one line."""

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from genlib import data, paths
from genlib.errors import DatasetError


def idx_header(dtype_code: int, dims: tuple[int, ...]) -> bytes:
    return bytes([0, 0, dtype_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def hostile_files(tmp_path):
    # float64 images, compressed: once read as pixels, thousands of blank images
    floats = gzip.compress(idx_header(0x0E, (1000, 28, 28)) + np.zeros(1000 * 784).tobytes())
    yield "float.idx3-ubyte.gz", floats, "must be unsigned bytes"
    # a header whose dimensions multiply past 64 bits
    yield "huge-idx3-ubyte", idx_header(0x08, (2**32 - 1, 2**32 - 1, 2**32 - 1)), "over the"
    # a gzip stream damaged in the middle
    pixels = (np.arange(100 * 64) % 7 * 30).astype(np.uint8).tobytes()  # compressible: a real deflate stream
    good = gzip.compress(idx_header(0x08, (100, 8, 8)) + pixels)
    middle = len(good) // 2
    yield "broken-idx3-ubyte.gz", good[:middle] + b"\xff" * 16 + good[middle + 16 :], "damaged"
    # a .npy header that declares 10 GiB in a tiny file
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "|u1", "fortran_order": False, "shape": (10 * 2**20, 32, 32)})
    yield "bomb.npy", b"\x93NUMPY\x01\x00" + head.getvalue()[8:], "too large"
    # a .npz member that inflates past the limit (1.06 GiB) to 1.125 GiB of zeros
    size = 2**30 + 2**27
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("images.npy", "w", force_zip64=True) as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (size,)})
        block = bytes(2**24)
        for _ in range(size // 2**24):
            f.write(block)
    yield "inflates.npz", buf.getvalue(), "too large"
    # a zip with one very large picture (small when compressed)
    png = io.BytesIO()
    Image.new("L", (8000, 8000)).save(png, format="PNG")
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w") as z:
        z.writestr("a/1.png", png.getvalue())
    yield "large.zip", big.getvalue(), "8000x8000"
    # a zip whose member's compressed bytes are corrupt
    small = io.BytesIO()
    Image.new("L", (8, 8), 128).save(small, format="PNG")
    ok = io.BytesIO()
    with zipfile.ZipFile(ok, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/1.png", small.getvalue() * 4)
    raw = bytearray(ok.getvalue())
    start = raw.index(b"a/1.png") + len("a/1.png")
    raw[start + 5 : start + 25] = b"\x00" * 20
    yield "corrupt.zip", bytes(raw), "a/1.png"


@pytest.mark.slow
def test_each_hostile_file_is_refused_with_one_line_and_nothing_written(tmp_path):
    for name, content, message in hostile_files(tmp_path):
        path = write(tmp_path, name, content)
        with pytest.raises(DatasetError, match=message) as caught:
            data.import_dataset(path, "hostile")
        assert "\n" not in str(caught.value), name
        assert not paths.datasets_dir().exists() or not any(paths.datasets_dir().iterdir()), name
        path.unlink()
