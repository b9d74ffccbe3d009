"""``folder:PATH``: the user's own images, decoded once into memory, bad files skipped and reported.

Layout: either a flat folder (sub-folders are searched too; no labels), or one sub-folder per class
with every image inside one (the sorted class-folder names become labels 0, 1, ...). Files whose
names start with a dot are ignored.

How each image is decoded and checked: ``decode``.

Hostile folders: only regular files are opened (a FIFO would block, a device never ends); a
folder that cannot be listed and a link to a folder (not followed: it may loop) are reported with
the skipped files.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dcgan_studio.core.data.base import Cancel, ImageDataset, LoadCancelled, Progress, skipped_line
from dcgan_studio.core.data.decode import (
    check_header,
    decode,
)
from dcgan_studio.core.data.stream import StreamedImages, default_workers, memory_budget
from dcgan_studio.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
OTHER_TYPE = "not an image type (by name)"
UNLISTABLE = "folders that cannot be read (their images were not looked at)"
LINKED_FOLDER = "links to folders (not followed)"
SUPPORTED = "jpg, jpeg, png, webp, bmp, gif or tif"


class ScanCancelled(LoadCancelled):
    """The person stopped the scan; nothing was loaded."""


class NoImagesError(DatasetError):
    """A scan found no usable image; ``scan`` holds what was seen and skipped, for a report."""

    def __init__(self, message: str, scan: FolderScan) -> None:
        super().__init__(message)
        self.scan = scan


@dataclass(frozen=True)
class FolderScan:
    root: Path
    images: torch.Tensor | StreamedImages  # uint8 (N, C, S, S), in memory or read as needed
    labels: np.ndarray | None  # (N,) class index of each image; None for a flat folder
    class_names: tuple[str, ...]  # sorted class-folder names; () for a flat folder
    files: tuple[Path, ...]  # the file of each image, in order
    files_seen: int  # every file looked at: used, skipped, or of another type
    skipped: dict[str, list[Path]] = field(default_factory=dict)  # reason -> files

    @property
    def count(self) -> int:
        return int(self.images.shape[0])

    @property
    def skipped_count(self) -> int:
        return sum(len(paths) for paths in self.skipped.values())

    def report(self, examples: int = 3) -> str:
        """``12 files seen, 9 used, 3 skipped (2 truncated: a.png, b.png; 1 ...)``."""
        text = f"{self.files_seen} file{'s' * (self.files_seen != 1)} seen, {self.count} used"
        if self.skipped:
            parts = "; ".join(skipped_line(r, p, examples) for r, p in self.skipped.items())
            text += f", {self.skipped_count} skipped ({parts})"
        return text

    def to_dataset(self, name: str | None = None) -> ImageDataset:
        kind = f"{len(self.class_names)} classes" if self.class_names else "one folder"
        return ImageDataset(
            name or f"folder:{self.root}",
            self.images,
            self.labels,
            f"{self.count:,} images from {self.root} ({kind})",
            source=str(self.root),
            class_names=self.class_names,
            files_seen=self.files_seen,
            skipped={r: tuple(str(p) for p in paths) for r, paths in self.skipped.items()},
        )


def load_folder(path: str | os.PathLike, size: int, channels: int, *args, **kwargs) -> ImageDataset:
    """The images ``scan_folder`` (with the same arguments) finds, as a dataset."""
    return scan_folder(path, size, channels, *args, **kwargs).to_dataset()


def scan_folder(
    path: str | os.PathLike,
    size: int,
    channels: int,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    memory_limit_mb: int | None = None,
) -> FolderScan:
    """Read every image under ``path`` (see ``read_images``); skip bad files by reason; never stop
    for one. Raises ``NoImagesError`` (with the scan attached) when no usable image is left."""
    if not str(path).strip():
        raise DatasetError(
            "folder: needs the path of a folder of images after it: "
            "--dataset folder:/path/to/images"
        )
    root = _check_root(Path(os.path.expanduser(str(path))))
    candidates, others, nested, folders = _list_files(root)
    if not candidates and not others:
        unread = f" ({skipped_line(*next(iter(folders.items())))})" if folders else ""
        raise DatasetError(
            f"the image folder {root} has no files{unread}: put {SUPPORTED} "
            "images in it, directly or in one sub-folder per class"
        )
    images, files, skipped = read_images(
        candidates, size, channels, None, memory_limit_mb, progress, cancel, str(root)
    )
    if others:
        skipped = {OTHER_TYPE: others, **skipped}
    skipped = {**folders, **skipped}
    skipped = {reason: sorted(paths) for reason, paths in sorted(skipped.items())}
    labels, class_names = _labels(root, files) if nested else (None, ())
    scan = FolderScan(
        root, images, labels, class_names, tuple(files), len(candidates) + len(others), skipped
    )
    if not files:
        raise NoImagesError(
            f"no usable image in {root}: {scan.report()}; put {SUPPORTED} images there "
            "(re-save damaged ones), or choose another folder",
            scan,
        )
    return scan


def read_images(
    paths: list[Path],
    size: int,
    channels: int,
    crop: int | None = None,
    memory_limit_mb: int | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    what: str = "",
) -> tuple[torch.Tensor | StreamedImages, list[Path], dict[str, list[Path]]]:
    """The usable images among ``paths`` as uint8 (N, C, size, size), the files they came from,
    and the skipped files by reason.

    Decoded into memory when N images fit in the memory budget (``stream.memory_budget``);
    otherwise only the headers are checked here and a ``StreamedImages`` decodes the files batch
    by batch while training. ``crop``: side of the centre square cut before resizing (default:
    the short side).
    """
    c = 1 if channels == 1 else 3
    decode_one = functools.partial(decode, size=size, mode="L" if c == 1 else "RGB", crop=crop)
    stream = len(paths) * c * size * size > memory_budget(memory_limit_mb)
    results = _map_files(check_header if stream else decode_one, paths, progress, cancel, what)
    files: list[Path] = []
    arrays: list[np.ndarray] = []
    skipped: dict[str, list[Path]] = {}
    for file, result in zip(paths, results):
        if isinstance(result, str):
            skipped.setdefault(result, []).append(file)
        else:
            files.append(file)
            if not stream:
                arrays.append(result)
    if not files:
        images: torch.Tensor | StreamedImages = torch.empty((0, c, size, size), dtype=torch.uint8)
    elif stream:
        images = StreamedImages(files, (c, size, size), decode_one)
    else:
        images = torch.from_numpy(np.stack(arrays))
    return images, files, skipped


def _map_files(
    fn: Callable[[Path], object],
    paths: list[Path],
    progress: Progress | None,
    cancel: Cancel | None,
    what: str,
) -> list:
    """``fn`` of each file, in order, by a few threads. ``progress`` runs on this thread about 200
    times in all; ``cancel`` is asked between files."""
    total = len(paths)
    every = max(1, total // 200)
    results: list = []
    if progress is not None:
        progress(0, total)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", module=r"PIL\.")  # "Corrupt EXIF data": the file says
        with ThreadPoolExecutor(default_workers(), "decode") as pool:
            for done, result in enumerate(pool.map(fn, paths), 1):
                results.append(result)
                if progress is not None and (done % every == 0 or done == total):
                    progress(done, total)
                if cancel is not None and done < total and cancel():
                    pool.shutdown(wait=False, cancel_futures=True)  # only running ones finish
                    raise ScanCancelled(
                        f"loading {what or 'the images'} was stopped after {done} "
                        f"of {total} files: start again to load them"
                    )
    return results


def _check_root(root: Path) -> Path:
    if not root.exists():
        raise DatasetError(
            f"the image folder {root} does not exist: check the path after "
            "folder: (--dataset folder:PATH) or choose the folder again"
        )
    if not root.is_dir():
        raise DatasetError(
            f"{root} is a file, not a folder: use --dataset folder:PATH with "
            "the folder that holds the images"
        )
    try:
        next(os.scandir(root), None)
    except OSError as exc:
        raise DatasetError(
            f"the image folder {root} cannot be read ({exc.strerror}): check its permissions"
        ) from exc
    return root.resolve()


def _list_files(root: Path) -> tuple[list[Path], list[Path], bool, dict[str, list[Path]]]:
    """Image files, other files, whether every image is inside a first-level sub-folder, and
    the folders not looked into, by reason."""
    images: list[Path] = []
    others: list[Path] = []
    folders: dict[str, list[Path]] = {}

    def unlistable(exc: OSError) -> None:  # os.walk skips such a folder without a word
        folders.setdefault(UNLISTABLE, []).append(Path(exc.filename or root))

    for folder, dirs, names in os.walk(root, onerror=unlistable):
        kept = []
        for d in sorted(d for d in dirs if not d.startswith(".")):
            if os.path.islink(os.path.join(folder, d)):  # os.walk would pass it by unsaid
                folders.setdefault(LINKED_FOLDER, []).append(Path(folder) / d)
            else:
                kept.append(d)
        dirs[:] = kept
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            (images if path.suffix.lower() in IMAGE_SUFFIXES else others).append(path)
    nested = bool(images) and all(p.parent != root for p in images)
    return images, others, nested, folders


def _labels(root: Path, files: list[Path]) -> tuple[np.ndarray, tuple[str, ...]]:
    classes = [p.relative_to(root).parts[0] for p in files]
    names = tuple(sorted(set(classes)))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[c] for c in classes], dtype=np.int64), names
