"""Datasets in their real on-disk formats, written by the tests: torchvision's layouts, MNIST served
over HTTP, and image folders with every mode and every kind of bad file. Nothing is downloaded."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import pickle
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, features

from dcgan_studio.core.data import load_dataset
from dcgan_studio.core.data import torchvision_sets as data_torchvision
from dcgan_studio.errors import DatasetError
from tests.conftest import tiny_config


def cfg_for(
    dataset: str, root: Path | None = None, size: int = 16, channels: int = 1, batch: int = 2
):
    values = {
        "data.dataset": dataset,
        "model.image_size": size,
        "model.channels": channels,
        "optim.batch_size": batch,
    }
    if root is not None:
        values["data.data_root"] = str(root)
    return tiny_config(**values)


def refused(match: str, *args, **kwargs) -> None:
    """Loading ``cfg_for(*args, **kwargs)`` fails with a DatasetError that matches ``match``."""
    with pytest.raises(DatasetError, match=match):
        load_dataset(cfg_for(*args, **kwargs))


def write_idx(path: Path, array: np.ndarray, gz: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(f"{path}.gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def write_mnist(root: Path, folder: str, n: int = 6, gz: bool = False) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    write_idx(root / folder / "raw" / "train-images-idx3-ubyte", images, gz)
    write_idx(root / folder / "raw" / "train-labels-idx1-ubyte", labels, gz)
    return images, labels


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A local web server holding the files in ``folder``; yields its URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def md5_sums(folder: Path) -> dict[str, str]:
    return {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in folder.iterdir()}


@contextlib.contextmanager
def serving_mnist(folder: Path, monkeypatch, n: int = 30) -> Iterator[Path]:
    """A local web server holding ``n`` MNIST images and labels as .gz files, which the mnist
    download fetches (with their MD5 sums as the known ones); yields the folder it serves."""
    write_mnist(folder, "files", n=n, gz=True)
    served = folder / "files" / "raw"
    with serving(served) as url:
        name, title, _, classes = data_torchvision.MNIST_LIKE["mnist"]
        monkeypatch.setitem(data_torchvision.MNIST_LIKE, "mnist", (name, title, url, classes))
        monkeypatch.setitem(data_torchvision.DOWNLOAD_MD5, "mnist", md5_sums(served))
        yield served


def write_cifar(root: Path, per_batch: int = 3) -> np.ndarray:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (5 * per_batch, 3, 32, 32), dtype=np.uint8)
    for i in range(5):
        chunk = images[i * per_batch : (i + 1) * per_batch]
        entry = {
            "batch_label": f"training batch {i + 1} of 5",
            "labels": [int(x) for x in rng.integers(0, 10, per_batch)],
            "data": chunk.reshape(per_batch, 3072),
            "filenames": [f"img_{i}_{j}.png" for j in range(per_batch)],
        }
        (folder / f"data_batch_{i + 1}").write_bytes(pickle.dumps(entry, protocol=2))
    meta = {
        "label_names": [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ],
        "num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return images


def save(img: Image.Image, path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)
    return path


def every_mode_folder(folder: Path) -> dict[str, tuple[Path, tuple[int, int, int]]]:
    """name -> (file, the RGB colour its centre must have after loading)."""
    s = (24, 18)  # not square: the crop is exercised too
    palette = Image.new("P", s, 1)
    palette.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    transparent = Image.new("P", s, 0)
    transparent.putpalette([250, 250, 250, 10, 200, 30] + [0] * 762)
    gif_frames = [Image.new("RGB", s, (255, 0, 0)), Image.new("RGB", s, (0, 0, 255))]
    files = {
        "1": (save(Image.new("1", s, 1), folder / "one.png"), (255, 255, 255)),
        "L": (save(Image.new("L", s, 77), folder / "grey.png"), (77, 77, 77)),
        "P": (save(palette, folder / "palette.png"), (10, 200, 30)),
        "P+transparency": (save(transparent, folder / "clear.png", transparency=0), (0, 0, 0)),
        "LA": (save(Image.new("LA", s, (180, 128)), folder / "grey-alpha.png"), (90, 90, 90)),
        "RGB": (save(Image.new("RGB", s, (200, 100, 50)), folder / "rgb.bmp"), (200, 100, 50)),
        "RGBA": (save(Image.new("RGBA", s, (200, 100, 50, 0)), folder / "rgba.png"), (0, 0, 0)),
        "I;16": (
            save(Image.fromarray(np.full(s[::-1], 200 * 257, np.uint16)), folder / "sixteen.png"),
            (200, 200, 200),
        ),
        "I": (
            save(Image.fromarray(np.full(s[::-1], 100 * 257, np.int32)), folder / "int.tif"),
            (100, 100, 100),
        ),
        "GIF": (
            save(
                gif_frames[0],
                folder / "anim.gif",
                save_all=True,
                append_images=gif_frames[1:],
                duration=100,
            ),
            (255, 0, 0),
        ),
        "JPEG": (
            save(Image.new("RGB", s, (30, 60, 220)), folder / "photo.jpeg", quality=95),
            (30, 60, 220),
        ),
    }
    if features.check("webp"):
        files["WEBP"] = (
            save(Image.new("RGB", s, (0, 128, 255)), folder / "web.webp", lossless=True),
            (0, 128, 255),
        )
    return files


def write_bad_files(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    good = save(Image.new("RGB", (40, 30), (9, 99, 199)), folder / "good.png")
    (folder / "cut.png").write_bytes(good.read_bytes()[:60])
    (folder / "zero.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not a photograph\n")

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)  # 3.6 gigapixels, RGB
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(5000)))
        + chunk(b"IEND", b"")
    )
    (folder / "bomb.png").write_bytes(bomb)
    assert (folder / "bomb.png").stat().st_size < 200
    (folder / "readme.txt").write_text("my pictures")
    return {
        "truncated": "cut.png",
        "empty (0 bytes)": "zero.png",
        "not an image": "notes.jpg",
        "too large (decompression bomb)": "bomb.png",
        "not an image type (by name)": "readme.txt",
    }
