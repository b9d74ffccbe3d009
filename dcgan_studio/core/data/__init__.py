"""Datasets: the registry of what can be trained on, loaded into memory as uint8 tensors.

Images are kept as uint8 (N, C, S, S) at the run's size and channels (a quarter of the memory of
float32) and scaled to [-1, 1] for tanh one batch at a time. The order of batches comes from a
seeded ``BatchSampler`` whose state is part of every checkpoint, so a resumed run sees the same
batches as one that never stopped.

What can be trained on (``cfg.data.dataset``):

    digits                       10,000 MNIST digits bundled with the app
    shapes                       coloured shapes generated from a seed (``data_shapes``)
    mnist, fashion-mnist,        torchvision's datasets, read from ``cfg.data.data_root`` in
    cifar10, svhn, celeba        torchvision's own layout (``data_torchvision``)
    folder:PATH                  the user's own images, flat or one sub-folder per class
                                 (``data_folder``)

Every loaded ``ImageDataset`` can describe itself for a preview panel: ``summary()`` (count,
size, channels, source, classes, the skipped-file report) and ``preview()`` (a few real images as
a numpy copy). Loading a folder or CelebA takes a ``progress(done, total)`` callback and a
``cancel()`` predicate, so the window can do it off the GUI thread with a progress bar.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.stream import StreamedImages
from dcgan_studio.errors import ConfigError, DatasetError

DIGITS_FILE = ("digits", "mnist_digits.npz")
FOLDER_PREFIX = "folder:"
Progress = Callable[[int, int], None]  # progress(done, total)
Cancel = Callable[[], bool]  # True: stop as soon as possible


def bundled_file(*parts: str) -> Path:
    """A file under ``resources/``: inside the installed package, or in a source checkout."""
    try:
        root = importlib.resources.files("dcgan_studio.resources")
        path = Path(str(root.joinpath(*parts)))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    path = Path(__file__).resolve().parents[2] / "resources" / Path(*parts)
    if not path.is_file():
        raise DatasetError(
            f"the bundled file resources/{'/'.join(parts)} is missing from this installation: "
            "reinstall DCGAN Studio (pip install --force-reinstall dcgan-studio)"
        )
    return path


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
        order drawn, as a shuffled batch holds them (not sorted by index, which on a dataset
        stored class by class showed the digits sorted)."""
        n = min(count, len(self))
        order = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        ascending, position = order.sort()  # read in file order (streamed data), then put back
        images = self.images[ascending].numpy()
        return images[position.argsort().numpy()].copy()


def to_tanh_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 grey levels 0..255 -> float32 in [-1, 1], the range of G's tanh output."""
    return images.float().div_(127.5).sub_(1.0)


def load_digits_raw() -> tuple[np.ndarray, np.ndarray]:
    """The bundled MNIST subset: uint8 images (10000, 28, 28) and labels (10000,)."""
    path = bundled_file(*DIGITS_FILE)
    try:
        with np.load(path) as data:
            images, labels = data["images"], data["labels"]
    except (OSError, ValueError, KeyError) as exc:
        raise DatasetError(
            f"the bundled digits file {path} cannot be read ({exc}): reinstall DCGAN Studio"
        ) from exc
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise DatasetError(f"the bundled digits file {path} has an unexpected layout: reinstall")
    return images, labels


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


Loader = Callable[[RunConfig, "Progress | None", "Cancel | None"], "ImageDataset"]


def default_data_root() -> Path:
    """Where torchvision datasets are looked for unless the person chooses: ``datasets/`` in the
    user's data folder (beside ``runs/``)."""
    from platformdirs import user_data_path

    return user_data_path("dcgan-studio", appauthor=False) / "datasets"


def data_root(cfg: RunConfig) -> Path:
    if cfg.data.data_root:
        return Path(os.path.expanduser(cfg.data.data_root))
    return default_data_root()


def _load_digits(cfg: RunConfig, progress: Progress | None, cancel: Cancel | None) -> ImageDataset:
    images, labels = load_digits_raw()
    tensor = fit_images(torch.from_numpy(images)[:, None], cfg.model.image_size, cfg.model.channels)
    return ImageDataset(
        "digits",
        tensor,
        labels,
        "10,000 MNIST handwritten digits (bundled)",
        class_names=tuple(str(d) for d in range(10)),
    )


def _load_shapes(cfg: RunConfig, progress: Progress | None, cancel: Cancel | None) -> ImageDataset:
    from dcgan_studio.core.data.shapes import load_shapes

    return load_shapes(cfg)


def _torchvision_loader(name: str) -> Loader:
    def load(cfg: RunConfig, progress: Progress | None, cancel: Cancel | None) -> ImageDataset:
        from dcgan_studio.core.data.torchvision_sets import load_torchvision

        return load_torchvision(name, cfg, progress, cancel)

    return load


def _load_folder(cfg: RunConfig, progress: Progress | None, cancel: Cancel | None) -> ImageDataset:
    from dcgan_studio.core.data.folder import load_folder

    path = cfg.data.dataset[len(FOLDER_PREFIX) :].strip()
    return load_folder(
        path, cfg.model.image_size, cfg.model.channels, progress, cancel, cfg.data.memory_limit_mb
    )


_REGISTRY: dict[str, tuple[Loader, str]] = {
    "digits": (_load_digits, "10,000 real MNIST handwritten digits, bundled, no download"),
    "shapes": (
        _load_shapes,
        "10,000 coloured circles, squares, triangles and rings on dark "
        "backgrounds, generated from a seed, no download (RGB)",
    ),
    "mnist": (
        _torchvision_loader("mnist"),
        "MNIST: 60,000 handwritten digits (torchvision files in the data root)",
    ),
    "fashion-mnist": (
        _torchvision_loader("fashion-mnist"),
        "Fashion-MNIST: 60,000 clothing "
        "images, 28x28 grayscale (torchvision files in the data root)",
    ),
    "cifar10": (
        _torchvision_loader("cifar10"),
        "CIFAR-10: 50,000 small colour photos in 10 classes (torchvision files in the data root)",
    ),
    "svhn": (
        _torchvision_loader("svhn"),
        "SVHN: 73,257 colour house-number digits (train_32x32.mat in the data root; needs SciPy)",
    ),
    "celeba": (
        _torchvision_loader("celeba"),
        "CelebA: 202,599 aligned faces, centre-cropped "
        "as in the DCGAN paper (img_align_celeba in the data root)",
    ),
}


def dataset_names() -> list[str]:
    return list(_REGISTRY)


def describe_datasets() -> dict[str, str]:
    """Name -> one line, for the window's dataset list; ``folder:PATH`` is not listed (any path)."""
    return {name: text for name, (_, text) in _REGISTRY.items()}


_NATURAL_CHANNELS = {
    "digits": 1,
    "mnist": 1,
    "fashion-mnist": 1,
    "shapes": 3,
    "cifar10": 3,
    "svhn": 3,
    "celeba": 3,
}


def natural_channels(name: str) -> int | None:
    """1 or 3: what a dataset has, to suggest for ``model.channels``; None for a folder (either)."""
    return _NATURAL_CHANNELS.get(name)


def is_folder_dataset(name: str) -> bool:
    return name.startswith(FOLDER_PREFIX)


def load_dataset(
    cfg: RunConfig, progress: Progress | None = None, cancel: Cancel | None = None
) -> ImageDataset:
    """The dataset ``cfg.data.dataset`` names, at the run's size and channels, in memory.

    ``progress(done, total)`` and ``cancel()`` are used where loading takes a while (image
    folders, CelebA); call it off the GUI thread.
    """
    name = cfg.data.dataset
    if is_folder_dataset(name):
        loader: Loader = _load_folder
    elif name in _REGISTRY:
        loader = _REGISTRY[name][0]
    else:
        raise DatasetError(
            f"unknown dataset {name!r}: use one of {', '.join(dataset_names())}, or "
            "folder:PATH for a folder of your own images"
        )
    dataset = loader(cfg, progress, cancel)
    check_batch_fits(dataset, cfg)
    return dataset


def check_batch_fits(dataset: ImageDataset, cfg: RunConfig) -> None:
    if len(dataset) < cfg.optim.batch_size:
        raise ConfigError(
            "optim.batch_size",
            cfg.optim.batch_size,
            f"at most {len(dataset)}: the dataset {dataset.name!r} has {len(dataset)} images, "
            "fewer than one batch",
        )


class BatchSampler:
    """Shuffled, drop-last batches of indices, reproducible from a seed and resumable."""

    def __init__(self, size: int, batch_size: int, seed: int) -> None:
        self.size, self.batch_size = size, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch, self.cursor = 0, 0
        self.order = torch.randperm(size, generator=self.generator)

    @property
    def batches_per_epoch(self) -> int:
        return self.size // self.batch_size

    @property
    def epoch_progress(self) -> float:
        return self.cursor / (self.batches_per_epoch * self.batch_size)

    def peek_indices(self) -> torch.Tensor:
        """The batch the next ``next_indices()`` returns, without moving on (for prefetching)."""
        if self.cursor + self.batch_size > self.size:  # the next epoch's order, from a copy
            generator = torch.Generator().set_state(self.generator.get_state())
            return torch.randperm(self.size, generator=generator)[: self.batch_size]
        return self.order[self.cursor : self.cursor + self.batch_size]

    def next_indices(self) -> torch.Tensor:
        if self.cursor + self.batch_size > self.size:
            self.epoch += 1
            self.cursor = 0
            self.order = torch.randperm(self.size, generator=self.generator)
        indices = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return indices

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {
            "generator": self.generator.get_state(),
            "order": self.order.clone(),
            "epoch_cursor": torch.tensor([self.epoch, self.cursor], dtype=torch.int64),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if state["order"].numel() != self.size:
            raise DatasetError(
                f"the checkpoint was made on a dataset of {state['order'].numel()} images, "
                f"this one has {self.size}: resume with the dataset the run started with"
            )
        order, (epoch, cursor) = state["order"], state["epoch_cursor"].tolist()
        # a damaged order would index past the images in the middle of an epoch
        if (
            not torch.equal(order.sort().values, torch.arange(self.size))
            or epoch < 0
            or not 0 <= cursor <= self.size
        ):
            raise ValueError("the saved batch order is not a permutation of the dataset")
        self.generator.set_state(state["generator"])
        self.order = order.clone()
        self.epoch, self.cursor = int(epoch), int(cursor)
