"""What every dataset is made of: the loaded ``ImageDataset`` and its ``DatasetSummary``, the
uint8 -> tanh-range scaling, the resize to the run's format, and where the data root is.

The bottom of the data package: the loaders (built-in, shapes, folder, torchvision) build on it
and the registry above them picks one; nothing here imports them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.stream import StreamedImages
from dcgan_studio.errors import DatasetError

FOLDER_PREFIX = "folder:"
Progress = Callable[[int, int], None]  # progress(done, total)
Cancel = Callable[[], bool]  # True: stop as soon as possible


class LoadCancelled(DatasetError):
    """The person stopped loading (a folder scan, a download); nothing was loaded."""


@dataclass(frozen=True)
class DatasetSummary:
    """What a preview panel shows about a loaded dataset: plain values, safe to pass to the GUI."""

    name: str
    description: str
    count: int
    image_size: int
    channels: int
    source: str | None  # the folder or file it was read from; None for generated / bundled sets
    class_names: tuple[str, ...]
    files_seen: int | None  # image folders: every file looked at, used or skipped
    skipped: Mapping[str, tuple[str, ...]]  # reason -> paths of the files skipped for it
    storage: str = ""  # where the decoded images live: "in memory, 7.8 MB" / "read from disk..."

    @property
    def skipped_count(self) -> int:
        return sum(len(paths) for paths in self.skipped.values())

    def skipped_lines(self, examples: int = 3) -> list[str]:
        """One line per reason: ``3 truncated: a.png, b.png, c.png``."""
        return [skipped_line(reason, paths, examples) for reason, paths in self.skipped.items()]


def skipped_line(reason: str, paths: tuple | list, examples: int = 3) -> str:
    # a name that is not UTF-8 keeps its odd bytes as \xff: printable anywhere (a strict
    # stream, a Qt label), where the str's lone surrogates would not encode
    names = ", ".join(
        os.fsencode(Path(p).name).decode("utf-8", "backslashreplace")
        for p in list(paths)[:examples]
    )
    more = f" and {len(paths) - examples} more" if len(paths) > examples else ""
    return f"{len(paths)} {reason}: {names}{more}"


@dataclass(frozen=True)
class ImageDataset:
    name: str
    images: torch.Tensor | StreamedImages  # uint8 (N, C, S, S); files read as needed if too big
    labels: np.ndarray | None  # (N,) class indices, where the dataset has them
    description: str
    source: str | None = None  # folder or file the images came from
    class_names: tuple[str, ...] = ()  # label i is class_names[i], where known
    skipped: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # reason -> paths
    files_seen: int | None = None  # image folders: how many files were looked at

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    @property
    def streamed(self) -> bool:
        """True when the images are read from their files batch by batch (too big for memory)."""
        return isinstance(self.images, StreamedImages)

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        """float32 (B, C, S, S) in [-1, 1]."""
        return to_tanh_range(self.images[indices])

    def skipped_now(self) -> dict[str, tuple[str, ...]]:
        """The files skipped when loading, and those that failed while training (streamed)."""
        skipped = dict(self.skipped)
        if isinstance(self.images, StreamedImages):
            for reason, paths in self.images.failed.items():
                skipped[f"{reason}, found while training"] = paths
        return skipped

    def storage(self) -> str:
        mb = len(self) * int(np.prod(self.image_shape)) / 2**20
        if isinstance(self.images, StreamedImages):
            return (
                f"read from disk batch by batch by {self.images.workers} threads "
                f"({mb:,.0f} MB decoded, more than the memory limit allows)"
            )
        return f"decoded in memory, {mb:,.1f} MB"

    def summary(self) -> DatasetSummary:
        c, s, _ = self.image_shape
        return DatasetSummary(
            self.name,
            self.description,
            len(self),
            s,
            c,
            self.source,
            self.class_names,
            self.files_seen,
            self.skipped_now(),
            self.storage(),
        )

    def preview(self, count: int = 64, seed: int = 0) -> np.ndarray:
        """uint8 (n, C, S, S), a copy: ``count`` real images drawn without replacement, in the
        order drawn, as a shuffled batch holds them (a dataset stored class by class would
        otherwise show its classes sorted)."""
        n = min(count, len(self))
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        ascending, position = order.sort()  # read in file order (streamed data), then put back
        images = self.images[ascending].numpy()
        return images[position.argsort().numpy()].copy()


def in_memory(
    name: str,
    images: np.ndarray,
    labels: np.ndarray | None,
    description: str,
    size: int,
    channels: int,
    **details,
) -> ImageDataset:
    """A dataset of uint8 (N, C0, H, W) ``images`` decoded whole, fitted to the run's size and
    channels; ``details``: the other fields of ``ImageDataset`` (source, class_names)."""
    tensor = fit_images(torch.from_numpy(images), size, channels)
    return ImageDataset(name, tensor, labels, description, **details)


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 grey levels 0..255 -> float32 in [-1, 1], the range of G's tanh output."""
    return images.float().div_(127.5).sub_(1.0)


def fit_images(images: torch.Tensor, size: int, channels: int) -> torch.Tensor:
    """uint8 (N, C0, H, W) -> uint8 (N, channels, size, size), antialiased bilinear resize."""
    if images.shape[-1] != size or images.shape[-2] != size:
        out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8)
        for start in range(0, images.shape[0], 2048):  # bounded float memory at 128x128
            chunk = images[start : start + 2048].float()
            chunk = F.interpolate(
                chunk, size=(size, size), mode="bilinear", antialias=True, align_corners=False
            )
            out[start : start + 2048] = chunk.round_().clamp_(0, 255).to(torch.uint8)
        images = out
    if images.shape[1] == channels:
        return images.contiguous()
    if images.shape[1] == 1 and channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    if images.shape[1] == 3 and channels == 1:  # ITU-R 601 luma
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (images.float() * weights).sum(1, keepdim=True).round_().to(torch.uint8)
    raise DatasetError(f"cannot turn {images.shape[1]}-channel images into {channels} channels")


def default_data_root() -> Path:
    """Where torchvision datasets are looked for unless the person chooses: ``datasets/`` in the
    user's data folder (beside ``runs/``)."""
    from platformdirs import user_data_path

    return user_data_path("dcgan-studio", appauthor=False) / "datasets"


def data_root(cfg: RunConfig) -> Path:
    if cfg.data.data_root:
        return Path(os.path.expanduser(cfg.data.data_root))
    return default_data_root()


def is_folder_dataset(name: str) -> bool:
    return name.startswith(FOLDER_PREFIX)
