"""``folder:PATH``: the user's own images, decoded once into memory, bad files skipped and reported.

Layout: either a flat folder (sub-folders are searched too; no labels), or one sub-folder per class
with every image inside one (the sorted class-folder names become labels 0, 1, ...). Files whose
names start with a dot are ignored.

Every image is turned into the run's format the same way:
- modes: 1, L, P, LA, RGB, RGBA, CMYK, ...; 16-bit (I;16, I;16B, I) is scaled to 8 bits by /257
  (65535 -> 255, rounded), never clipped; float (F) images in [0, 1] are scaled by 255;
- transparency (LA, RGBA, P with a transparent colour) is composited on BLACK, the "empty" of a
  DCGAN's tanh range and the background of MNIST-like data; ``ALPHA_BACKGROUND`` says so;
- EXIF orientation is applied; a GIF or animated WEBP gives its first frame;
- grayscale or RGB as the run's channels say (ITU-R 601 luma for RGB -> L);
- centre-cropped to a square, then resized to the run's size (Lanczos; JPEGs are decoded at a
  reduced scale first where that still leaves at least the target size).

Decompression bombs: Pillow's process-wide ``Image.MAX_IMAGE_PIXELS`` is left alone (other code
shares it); the scan applies its own limit, ``MAX_IMAGE_PIXELS``, from the header, before any pixel
is decoded, and also catches Pillow's own ``DecompressionBombError`` (raised at open when Pillow's
global limit is lower than ours) and its warning (silenced while a scan runs: ours decides).
Memory while decoding is bounded too: 16-bit images become 8-bit strip by strip (no float copy of
the whole image), and images whose decoded size is over ``LARGE_DECODE_BYTES`` are decoded one at
a time, so 8 threads meeting 8 huge images hold one, not eight.

Hostile folders: only regular files are opened (a FIFO would block, a device never ends); a
folder that cannot be listed and a link to a folder (not followed: it may loop) are reported with
the skipped files.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import stat
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from struct import error as StructError

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from dcgan_studio.core.data import ImageDataset, skipped_line
from dcgan_studio.core.data.stream import StreamedImages, default_workers, memory_budget
from dcgan_studio.errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
# the decoders tried, whatever a file's name says: never EPS (Ghostscript) or other exotic plugins
PIL_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "BMP", "DIB", "GIF", "TIFF")
MAX_IMAGE_PIXELS = 64 * 1024 * 1024  # 8192 x 8192; anything bigger is refused unread
# decoded bytes (pixels x Pillow's bytes per pixel, after a JPEG's reduced-scale draft) above which
# an image is decoded while no other thread decodes one so large: 16 MP at 4 bytes a pixel
LARGE_DECODE_BYTES = 64 * 2**20
_large_decode = threading.Lock()
_STRIP_PIXELS = 1 << 20  # 16-bit -> 8-bit conversion works on strips of this many pixels
ALPHA_BACKGROUND = 0  # transparent pixels become black (0) in every channel

UNREADABLE = "unreadable"
TRUNCATED = "truncated"
EMPTY = "empty (0 bytes)"
NOT_IMAGE = "not an image"
TOO_LARGE = "too large (decompression bomb)"
OTHER_TYPE = "not an image type (by name)"
NOT_FILE = "not a regular file (a pipe, socket or device)"
UNLISTABLE = "folders that cannot be read (their images were not looked at)"
LINKED_FOLDER = "links to folders (not followed)"
SUPPORTED = "jpg, jpeg, png, webp, bmp, gif or tif"
log = logging.getLogger(__name__)


class ScanCancelled(DatasetError):
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


def load_folder(
    path: str | os.PathLike,
    size: int,
    channels: int,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    memory_limit_mb: int | None = None,
) -> ImageDataset:
    if not str(path).strip():
        raise DatasetError(
            "folder: needs the path of a folder of images after it: "
            "--dataset folder:/path/to/images"
        )
    return scan_folder(path, size, channels, progress, cancel, memory_limit_mb).to_dataset()


def scan_folder(
    path: str | os.PathLike,
    size: int,
    channels: int,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    memory_limit_mb: int | None = None,
) -> FolderScan:
    """Read every image under ``path`` (see ``read_images``); skip bad files by reason; never stop
    for one. Raises ``NoImagesError`` (with the scan attached) when no usable image is left."""
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
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    what: str = "",
) -> tuple[torch.Tensor | StreamedImages, list[Path], dict[str, list[Path]]]:
    """The usable images among ``paths`` as uint8 (N, C, size, size), the files they came from,
    and the skipped files by reason.

    Decoded into memory when N images fit in the memory budget (``data_stream.memory_budget``);
    otherwise only the headers are checked here and a ``StreamedImages`` decodes the files batch
    by batch while training. ``crop``: side of the centre square cut before resizing (default:
    the short side).
    """
    c = 1 if channels == 1 else 3
    decode = functools.partial(_decode, size=size, mode="L" if c == 1 else "RGB", crop=crop)
    stream = len(paths) * c * size * size > memory_budget(memory_limit_mb)
    results = _map_files(_check_header if stream else decode, paths, progress, cancel, what)
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
        images = StreamedImages(files, (c, size, size), decode)
    else:
        images = torch.from_numpy(np.stack(arrays))
    return images, files, skipped


def _map_files(
    fn: Callable[[Path], object],
    paths: list[Path],
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
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


def _decode(path: Path, size: int, mode: str, crop: int | None = None) -> np.ndarray | str:
    """uint8 (C, size, size), or the reason the file is skipped. Never raises for a bad file."""
    try:
        if (reason := _not_openable(path)) is not None:
            return reason
        with Image.open(path, formats=_pil_formats()) as img:
            w, h = img.size
            if w * h > MAX_IMAGE_PIXELS:
                return TOO_LARGE
            side = min(w, h, crop or w)
            if img.format in ("JPEG", "MPO") and side > size:  # decode at 1/2, 1/4, 1/8 if it fits
                scale = size / side
                img.draft(mode, (math.ceil(w * scale), math.ceil(h * scale)))
                crop = crop and math.ceil(crop * img.size[0] / w)  # the crop at the decoded scale
            large = _decoded_bytes(img) > LARGE_DECODE_BYTES
            with _large_decode if large else contextlib.nullcontext():
                img.load()
                return _to_array(img, size, mode, crop)
    except Exception as exc:
        return _reason(path, exc)


def _check_header(path: Path) -> str | None:
    """The reason a file is skipped, from its size and header alone; None if it looks usable.
    What only a full decode finds (a truncated body) is found while training, see data_stream."""
    try:
        if (reason := _not_openable(path)) is not None:
            return reason
        with Image.open(path, formats=_pil_formats()) as img:
            w, h = img.size
            return TOO_LARGE if w * h > MAX_IMAGE_PIXELS else None
    except Exception as exc:
        return _reason(path, exc)


def _not_openable(path: Path) -> str | None:
    """Why ``path`` is not even opened: only a regular file with bytes in it is (opening a FIFO
    blocks until someone writes to it). Raises OSError for a broken link or a link loop."""
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        return NOT_FILE
    return EMPTY if st.st_size == 0 else None


def _decoded_bytes(img: Image.Image) -> int:
    """What ``img.load()`` will allocate: Pillow keeps 1, 2 (16-bit) or 4 bytes a pixel."""
    per_pixel = 1 if img.mode in ("1", "L", "P") else 2 if img.mode.startswith("I;16") else 4
    return img.size[0] * img.size[1] * per_pixel


def _reason(path: Path, exc: Exception) -> str:
    """Why reading ``path`` failed, in the words of the skipped-file report."""
    if isinstance(exc, Image.DecompressionBombError):
        return TOO_LARGE
    if isinstance(exc, UnidentifiedImageError):
        return NOT_IMAGE
    if isinstance(exc, (EOFError, OSError, SyntaxError, ValueError, StructError, IndexError)):
        text = str(exc).lower()
        if (
            isinstance(exc, EOFError)
            or "truncated" in text
            or "end of file" in text
            or "buffer is not large enough" in text
        ):
            return TRUNCATED
        if "too large" in text:  # Pillow's guard on compressed text chunks
            return TOO_LARGE
        return UNREADABLE
    # a decoder's own bug on a malformed file: still only this file is skipped
    log.warning("unexpected error decoding %s", path, exc_info=True)
    return UNREADABLE


@functools.cache
def _pil_formats() -> tuple[str, ...]:
    Image.init()  # registers every plugin, so the names below can be asked for
    return tuple(f for f in PIL_FORMATS if f in Image.OPEN)


def _to_array(img: Image.Image, size: int, mode: str, crop: int | None = None) -> np.ndarray:
    if img.getexif().get(0x0112, 1) != 1:  # EXIF orientation: a phone photo taken sideways
        img = ImageOps.exif_transpose(img)
    img = _to_8bit(img)
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (ALPHA_BACKGROUND,) * 3 + (255,))
        img = Image.alpha_composite(flat, rgba)
    if img.mode != mode:  # convert() copies even to the same mode: a copy of a huge image
        img = img.convert(mode)
    w, h = img.size
    side = min(w, h, crop or w)
    box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    img = img.resize((size, size), Image.Resampling.LANCZOS, box=box)
    array = np.asarray(img, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1).copy()


def _to_8bit(img: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale -> L, scaled over the full range, not clipped at 255.

    Strip by strip into one uint8 array: a float64 copy of a whole 8192 x 8192 image was 512 MB,
    and the arithmetic on it made four (2.9 GB a decoding thread)."""
    if not (img.mode.startswith("I") or img.mode == "F"):
        return img
    low, high = img.getextrema()  # from Pillow, without a copy of the pixels
    if img.mode.startswith("I;16") or (img.mode == "I" and low >= 0 and high <= 65535):
        offset, scale = 0, 1 / 257.0  # 65535 -> 255; no v / 257 lies near a half: rounding is exact
    elif img.mode == "F" and low >= 0 and high <= 1:
        offset, scale = 0, 255.0
    else:  # outside any known range: stretch what is there
        offset, scale = low, (255.0 / (high - low) if high > low else 0.0)
    w, h = img.size
    out = np.empty((h, w), np.uint8)
    rows = max(1, _STRIP_PIXELS // max(1, w))
    for top in range(0, h, rows):
        strip = np.asarray(img.crop((0, top, w, min(h, top + rows))), dtype=np.float64)
        out[top : top + rows] = np.rint((strip - offset) * scale).clip(0, 255)
    return Image.fromarray(out)  # (H, W) uint8 -> L
