"""Our own readers of the files torchvision downloads, strict about what they accept: an IDX
file must be exactly what its header promises, and a CIFAR-10 batch is unpickled with an
unpickler that builds only dicts, lists, bytes and numpy arrays, so a planted file cannot run code.
Every failure is a ``DatasetError`` that names the file and how to fix it."""

from __future__ import annotations

import gzip
import importlib
import math
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np

from dcgan_studio.errors import DatasetError

MAX_IDX_BYTES = 2**32  # an IDX file's body, at most (MNIST's images: 47 MB)


def read_idx(
    path: Path, ndim: int, url: str = "", inner: tuple[int, ...] | None = None
) -> np.ndarray:
    """An IDX file of unsigned bytes (magic 0x0000080N), plain or gzipped: uint8 (d1, ..., dN).

    The header is checked before the body is read: the product of its dimensions (Python ints:
    no int64 overflow) must be what follows, exactly, and at most ``MAX_IDX_BYTES``; ``inner``:
    the dimensions after the first that it must have (MNIST's 28 x 28)."""
    fix = f"download it again{' from ' + url if url else ''}"
    try:
        with gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as f:
            head = f.read(4 + 4 * ndim)
            magic = head[:4]
            if len(magic) < 4 or magic[:3] != b"\x00\x00\x08" or magic[3] != ndim:
                raise DatasetError(
                    f"{path} is not an IDX file of {ndim}-D unsigned bytes (it "
                    f"starts with {magic.hex() or 'nothing'}, expected "
                    f"0000080{ndim}); {fix}"
                )
            if len(head) < 4 + 4 * ndim:
                raise DatasetError(
                    f"{path} is truncated: its header ends after {len(head)} bytes; {fix}"
                )
            dims = struct.unpack(f">{ndim}I", head[4:])
            count = math.prod(dims)
            promise = f"its header promises {'x'.join(map(str, dims))} bytes"
            if count == 0 or count > MAX_IDX_BYTES:
                raise DatasetError(
                    f"{path} is damaged: {promise}, not between 1 and {MAX_IDX_BYTES:,}; {fix}"
                )
            if inner is not None and dims[1:] != inner:
                raise DatasetError(
                    f"{path} is not what its name says: {promise}, not "
                    f"N x {' x '.join(map(str, inner))}; {fix}"
                )
            body = f.read(count + 1)  # one more: a longer file is not what the header says
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(
            f"{path} cannot be read ({exc}): it is damaged or not what its name says; {fix}"
        ) from exc
    if len(body) < count:
        raise DatasetError(f"{path} is truncated: {promise} but {len(body)} follow; {fix}")
    if len(body) > count:
        raise DatasetError(f"{path} is damaged: {promise} but more follow; {fix}")
    return np.frombuffer(body, np.uint8, count=count).reshape(dims)


class _ArraysOnly(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays; refuses every other class."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        *(
            (f"numpy{core}.multiarray", name)
            for core in (".core", "._core")
            for name in ("_reconstruct", "scalar")
        ),
    }

    def find_class(self, module: str, name: str):  # type: ignore[override]
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed")
        if module.startswith("numpy.core"):
            module = "numpy._core" + module[len("numpy.core") :]
        return getattr(importlib.import_module(module), name)


def read_pickle(path: Path, fix: str) -> dict:
    """A CIFAR-10 batch (a pickled dict) with its keys as str; ``fix``: what to do if damaged."""
    try:
        with open(path, "rb") as f:
            entry = _ArraysOnly(f, encoding="latin1").load()
    except (
        OSError,
        EOFError,
        pickle.UnpicklingError,
        ValueError,
        TypeError,
        AttributeError,
        ImportError,
        IndexError,
        KeyError,
    ) as exc:
        raise DatasetError(f"{path} cannot be read as a CIFAR-10 batch ({exc}); {fix}") from exc
    if not isinstance(entry, dict):
        raise DatasetError(f"{path} is not a CIFAR-10 batch (a {type(entry).__name__}); {fix}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
