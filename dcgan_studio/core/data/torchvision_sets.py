"""MNIST, Fashion-MNIST, CIFAR-10, SVHN and CelebA, read from a data root in torchvision's layout.

    ROOT/MNIST/raw/train-images-idx3-ubyte[.gz]          (+ train-labels-idx1-ubyte[.gz])
    ROOT/FashionMNIST/raw/train-images-idx3-ubyte[.gz]   (+ train-labels-idx1-ubyte[.gz])
    ROOT/cifar-10-batches-py/data_batch_1 ... data_batch_5  (+ batches.meta)
    ROOT/train_32x32.mat                                  (SVHN; reading it needs SciPy)
    ROOT/celeba/img_align_celeba/000001.jpg ...

The files are the ones torchvision downloads, so a root shared with torchvision works as is. They
are read here rather than through ``torchvision.datasets`` because those classes check MD5 sums of
whole archives (CIFAR-10, CelebA: minutes, and a wrong sum says only "not found") and MNIST's does
not read the .gz files it downloads; reading the formats directly gives a message that names the
damaged file (``readers``: strict IDX and CIFAR-10 readers). Training uses the train split of each.
When files are missing the message lists the full paths to fill and where the files come from;
``download_dataset`` fetches them where the machine is online and checks each download against
the MD5 sum torchvision knows for it (``torchvision.datasets.utils``).
"""

from __future__ import annotations

import importlib.util
import os
import tarfile
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import numpy as np

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.base import (
    Cancel,
    ImageDataset,
    LoadCancelled,
    Progress,
    data_root,
    in_memory,
    skipped_line,
)
from dcgan_studio.core.data.readers import read_idx, read_pickle
from dcgan_studio.errors import DatasetError

CELEBA_CROP = 108  # centre square of the 178x218 aligned faces kept, as in DCGAN-tensorflow
MNIST_LIKE = {  # name -> (folder, title, where the files come from, class names)
    "mnist": (
        "MNIST",
        "MNIST",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        tuple(str(d) for d in range(10)),
    ),
    "fashion-mnist": (
        "FashionMNIST",
        "Fashion-MNIST",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
}
IDX_IMAGES, IDX_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/train_32x32.mat"
SVHN_FILE = "train_32x32.mat"
CELEBA_URL = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
# the MD5 sum of each downloaded file, as torchvision's dataset classes check them
DOWNLOAD_MD5 = {
    "mnist": {
        f"{IDX_IMAGES}.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        f"{IDX_LABELS}.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    },
    "fashion-mnist": {
        f"{IDX_IMAGES}.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        f"{IDX_LABELS}.gz": "25c81989df183df01b3e8a0aad5dffbe",
    },
    "cifar10": {CIFAR_ARCHIVE: "c58f30108f718f92721af3b95e74349a"},
    "svhn": {SVHN_FILE: "e26dedcc434d2e4c54c9b2d4a06d8373"},
}
_CHOOSE = "or choose the folder that holds them with --data-root or the window's folder picker"


def load_torchvision(
    name: str,
    cfg: RunConfig,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> ImageDataset:
    root = data_root(cfg)
    size, channels = cfg.model.image_size, cfg.model.channels
    if name in MNIST_LIKE:
        return _mnist_like(name, root, size, channels)
    if name == "cifar10":
        return _cifar10(root, size, channels)
    if name == "svhn":
        return _svhn(root, size, channels)
    if name == "celeba":
        return _celeba(root, size, channels, progress, cancel, cfg.data.memory_limit_mb)
    raise DatasetError(
        f"unknown torchvision dataset {name!r}: use one of "
        f"{', '.join([*MNIST_LIKE, 'cifar10', 'svhn', 'celeba'])}"
    )


# ---- MNIST, Fashion-MNIST: IDX files ---------------------------------------------------------
def _mnist_like(name: str, root: Path, size: int, channels: int) -> ImageDataset:
    folder, title, url, classes = MNIST_LIKE[name]
    raw = root / folder / "raw"
    images_path, labels_path = _idx_file(raw, IDX_IMAGES), _idx_file(raw, IDX_LABELS)
    if images_path is None:
        raise DatasetError(
            f"{title} is not in {root}: put {raw / IDX_IMAGES}.gz and {raw / IDX_LABELS}.gz "
            f"(or the same files unpacked, without .gz) there, from {url}; {_CHOOSE}"
        )
    images = read_idx(images_path, 3, url, inner=(28, 28))  # (N, 28, 28)
    labels = read_idx(labels_path, 1, url).astype(np.int64) if labels_path else None
    if labels is not None and len(labels) != len(images):
        raise DatasetError(
            f"{labels_path} has {len(labels)} labels for {len(images)} images in "
            f"{images_path}: download both again from {url}"
        )
    return in_memory(
        name,
        images.copy()[:, None],
        labels,
        f"{title}: {len(images):,} training images",
        size,
        channels,
        source=str(images_path),
        class_names=classes if labels is not None else (),
    )


def _idx_file(folder: Path, base: str) -> Path | None:
    for path in (folder / base, folder / f"{base}.gz"):
        if path.is_file():
            return path
    return None


def _cifar10(root: Path, size: int, channels: int) -> ImageDataset:
    folder = root / CIFAR_FOLDER
    missing = [b for b in CIFAR_BATCHES if not (folder / b).is_file()]
    fix = f"download cifar-10-python.tar.gz again from {CIFAR_URL} and unpack it in {root}"
    if missing:
        where = (
            f"missing {', '.join(str(folder / b) for b in missing)}"
            if len(missing) < 5
            else f"expected {folder / CIFAR_BATCHES[0]} ... {folder / CIFAR_BATCHES[-1]}"
        )
        raise DatasetError(
            f"CIFAR-10 is not in {root} ({where}): download cifar-10-python.tar.gz "
            f"from {CIFAR_URL} and unpack it in {root}, which makes {folder}/; "
            f"{_CHOOSE}"
        )
    data, labels = [], []
    for batch in CIFAR_BATCHES:
        entry = read_pickle(folder / batch, fix)
        array = np.asarray(entry.get("data", ()))
        if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != 3 * 32 * 32:
            raise DatasetError(
                f"{folder / batch} holds no (N, 3072) uint8 'data' array as a "
                f"CIFAR-10 batch does (found {array.dtype} {array.shape}); {fix}"
            )
        data.append(array.reshape(-1, 3, 32, 32))
        labels.extend(entry.get("labels", entry.get("fine_labels", [])))
    images = np.concatenate(data)
    names: tuple[str, ...] = ()
    if (folder / "batches.meta").is_file():
        meta = read_pickle(folder / "batches.meta", fix)
        names = tuple(str(n) for n in meta.get("label_names", ()))
    label_array = np.asarray(labels, dtype=np.int64) if len(labels) == len(images) else None
    return in_memory(
        "cifar10",
        images,
        label_array,
        f"CIFAR-10: {len(images):,} training images",
        size,
        channels,
        source=str(folder),
        class_names=names,
    )


# ---- SVHN: a MATLAB file ---------------------------------------------------------------------
def _svhn(root: Path, size: int, channels: int) -> ImageDataset:
    path = root / SVHN_FILE
    if not path.is_file():
        needs = "" if _has_scipy() else " (reading it needs SciPy: pip install scipy)"
        raise DatasetError(
            f"SVHN is not in {root}: put train_32x32.mat from {SVHN_URL} at "
            f"{path}{needs}; {_CHOOSE}"
        )
    try:
        from scipy.io import loadmat
    except ImportError as exc:
        raise DatasetError(
            f"reading SVHN's {path} needs SciPy, which is not installed: "
            "pip install scipy in DCGAN Studio's environment, or train on "
            "another dataset"
        ) from exc
    try:
        mat = loadmat(str(path))
        x, y = np.asarray(mat["X"]), np.asarray(mat["y"]).reshape(-1)
    except Exception as exc:  # scipy raises many kinds for a damaged file
        raise DatasetError(
            f"{path} cannot be read as SVHN's MATLAB file ({exc}): download it "
            f"again from {SVHN_URL}"
        ) from exc
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[2] != 3 or x.shape[3] != len(y):
        raise DatasetError(
            f"{path} holds {x.dtype} {x.shape}, not SVHN's (32, 32, 3, N) uint8 "
            f"images: download it again from {SVHN_URL}"
        )
    images = np.ascontiguousarray(x.transpose(3, 2, 0, 1))  # (N, 3, H, W)
    labels = y.astype(np.int64) % 10  # SVHN stores the digit 0 as label 10
    return in_memory(
        "svhn",
        images,
        labels,
        f"SVHN: {len(images):,} training images",
        size,
        channels,
        source=str(path),
        class_names=tuple(str(d) for d in range(10)),
    )


def _has_scipy() -> bool:
    return importlib.util.find_spec("scipy") is not None


# ---- CelebA: aligned JPEG faces --------------------------------------------------------------
def _celeba(
    root: Path,
    size: int,
    channels: int,
    progress: Progress | None,
    cancel: Cancel | None,
    memory_limit_mb: int | None,
) -> ImageDataset:
    from dcgan_studio.core.data.folder import read_images

    folder = root / "celeba" / "img_align_celeba"
    files = sorted(folder.glob("*.jpg")) if folder.is_dir() else []
    if not files:
        raise DatasetError(
            f"CelebA is not in {root}: unpack img_align_celeba.zip (the aligned faces, from "
            f"{CELEBA_URL}) so that {folder / '000001.jpg'} and the other JPEGs exist; {_CHOOSE}"
        )
    images, kept, skipped = read_images(
        files, size, channels, CELEBA_CROP, memory_limit_mb, progress, cancel, str(folder)
    )
    if not kept:
        lines = "; ".join(skipped_line(r, p) for r, p in skipped.items())
        raise DatasetError(
            f"no CelebA image in {folder} can be read ({lines}): unpack "
            f"img_align_celeba.zip from {CELEBA_URL} there again"
        )
    return ImageDataset(
        "celeba",
        images,
        None,
        f"CelebA: {len(kept):,} aligned faces, centre {CELEBA_CROP}px crop",
        source=str(folder),
        files_seen=len(files),
        skipped={r: tuple(str(p) for p in paths) for r, paths in skipped.items()},
    )


# ---- download, where the machine is online --------------------------------------------------
class DownloadCancelled(LoadCancelled):
    """The person stopped a download; the part fetched was deleted."""


def download_dataset(
    name: str,
    root: str | os.PathLike,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> Path:
    """Fetch a dataset's training files into ``root`` in the layout above; returns the folder.

    ``progress(bytes_done, bytes_total)`` (total 0 when the server does not say); ``cancel()`` is
    asked between chunks. A file already there with the known MD5 sum is kept. Offline, on any
    network failure or a damaged download, raises DatasetError saying what to put where by hand.
    """
    root = Path(os.path.expanduser(str(root)))
    sums = DOWNLOAD_MD5.get(name, {})
    if name in MNIST_LIKE:
        folder, _, url, _ = MNIST_LIKE[name]
        raw = root / folder / "raw"
        for base in (f"{IDX_IMAGES}.gz", f"{IDX_LABELS}.gz"):
            _fetch(f"{url}{base}", raw / base, sums.get(base), progress, cancel)
        return raw
    if name == "cifar10":
        archive = root / CIFAR_ARCHIVE
        _fetch(CIFAR_URL, archive, sums.get(CIFAR_ARCHIVE), progress, cancel)
        _unpack(archive, root)
        return root / CIFAR_FOLDER
    if name == "svhn":
        _fetch(SVHN_URL, root / SVHN_FILE, sums.get(SVHN_FILE), progress, cancel)
        return root
    if name == "celeba":
        raise DatasetError(
            f"CelebA cannot be downloaded automatically (it is shared through "
            f"Google Drive): get img_align_celeba.zip from {CELEBA_URL} and unpack "
            f"it in {root / 'celeba'}"
        )
    raise DatasetError(
        f"{name!r} is not a dataset that can be downloaded: use one of "
        f"{', '.join([*MNIST_LIKE, 'cifar10', 'svhn'])}"
    )


def _unpack(archive: Path, root: Path) -> None:
    """Our own extraction, not torchvision's ``extract_archive``: that one extracts with no
    filter, and the "data" filter refuses links out of ``root``, absolute paths and devices."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(root, filter="data")
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise DatasetError(
            f"{archive} cannot be unpacked ({exc}): delete it and download again"
        ) from exc


def _fetch(
    url: str, path: Path, md5: str | None, progress: Progress | None, cancel: Cancel | None
) -> None:
    """Download to a temporary file beside ``path``, check its MD5 sum, then rename: never a half
    or damaged file in place. A file already at ``path`` with the right sum is kept."""
    from torchvision.datasets.utils import check_integrity  # here: torchvision takes seconds

    if path.is_file() and path.stat().st_size > 0 and check_integrity(path, md5):
        return
    tmp = path.with_name(f".{path.name}.part-{uuid.uuid4().hex[:8]}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _download(url, tmp, progress, cancel)
        if not check_integrity(tmp, md5):
            raise DatasetError(
                f"the download of {url} is damaged (its MD5 sum is not the known {md5}), so "
                f"nothing was put at {path}: download again, or download it by hand from "
                f"{url} and put it at {path}"
            )
        os.replace(tmp, path)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DatasetError(
            f"could not download {url} ({reason}): check the internet connection, "
            f"or download it by hand and put it at {path}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _download(url: str, to: Path, progress: Progress | None, cancel: Cancel | None) -> None:
    with urllib.request.urlopen(url, timeout=30) as response, open(to, "wb") as out:
        total, done = int(response.headers.get("Content-Length") or 0), 0
        while chunk := response.read(1 << 20):
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            if cancel is not None and cancel():
                raise DownloadCancelled(
                    f"downloading {url} was stopped after {done / 2**20:.1f} MB: start again "
                    "to fetch it"
                )
        out.flush()
        os.fsync(out.fileno())
