"""What can be trained on: each dataset's name, its one-line description, its natural channels and
its loader; ``load_dataset`` picks the loader ``cfg.data.dataset`` names.

The loaders are imported when a dataset is loaded, not before: the command line and the window
list the datasets without importing Pillow, SciPy or the image-folder machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.base import (
    FOLDER_PREFIX,
    Cancel,
    ImageDataset,
    Progress,
    is_folder_dataset,
)
from dcgan_studio.errors import ConfigError, DatasetError

Loader = Callable[[RunConfig, "Progress | None", "Cancel | None"], ImageDataset]


def _load_digits(cfg: RunConfig, progress: Progress | None, cancel: Cancel | None) -> ImageDataset:
    from dcgan_studio.core.data.builtin import load_digits

    return load_digits(cfg)


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


@dataclass(frozen=True)
class DatasetKind:
    load: Loader
    channels: int  # 1 or 3: what the dataset has, to suggest for ``model.channels``
    description: str


_REGISTRY: dict[str, DatasetKind] = {
    "digits": DatasetKind(
        _load_digits, 1, "10,000 real MNIST handwritten digits, bundled, no download"
    ),
    "shapes": DatasetKind(
        _load_shapes,
        3,
        "10,000 coloured circles, squares, triangles and rings on dark "
        "backgrounds, generated from a seed, no download (RGB)",
    ),
    "mnist": DatasetKind(
        _torchvision_loader("mnist"),
        1,
        "MNIST: 60,000 handwritten digits (torchvision files in the data root)",
    ),
    "fashion-mnist": DatasetKind(
        _torchvision_loader("fashion-mnist"),
        1,
        "Fashion-MNIST: 60,000 clothing "
        "images, 28x28 grayscale (torchvision files in the data root)",
    ),
    "cifar10": DatasetKind(
        _torchvision_loader("cifar10"),
        3,
        "CIFAR-10: 50,000 small colour photos in 10 classes (torchvision files in the data root)",
    ),
    "svhn": DatasetKind(
        _torchvision_loader("svhn"),
        3,
        "SVHN: 73,257 colour house-number digits (train_32x32.mat in the data root; needs SciPy)",
    ),
    "celeba": DatasetKind(
        _torchvision_loader("celeba"),
        3,
        "CelebA: 202,599 aligned faces, centre-cropped "
        "as in the DCGAN paper (img_align_celeba in the data root)",
    ),
}


def dataset_names() -> list[str]:
    return list(_REGISTRY)


def describe_datasets() -> dict[str, str]:
    """Name -> one line, for the window's dataset list; ``folder:PATH`` is not listed (any path)."""
    return {name: kind.description for name, kind in _REGISTRY.items()}


def natural_channels(name: str) -> int | None:
    """1 or 3: what a dataset has, to suggest for ``model.channels``; None for a folder (either)."""
    kind = _REGISTRY.get(name)
    return kind.channels if kind is not None else None


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
        loader = _REGISTRY[name].load
    else:
        raise DatasetError(
            f"unknown dataset {name!r}: use one of {', '.join(dataset_names())}, or "
            "folder:PATH for a folder of your own images"
        )
    dataset = loader(cfg, progress, cancel)
    check_batch_fits(dataset, cfg)
    return dataset


def check_batch_fits(dataset: ImageDataset, cfg: RunConfig, processes: int = 1) -> None:
    """One batch (under torchrun: one global batch, ``processes`` times ``--batch-size``) must
    fit in the dataset."""
    if len(dataset) < cfg.optim.batch_size * processes:
        each = " per process" if processes > 1 else ""
        global_batch = f" ({processes} processes x {cfg.optim.batch_size})" if processes > 1 else ""
        raise ConfigError(
            "optim.batch_size",
            cfg.optim.batch_size,
            f"at most {len(dataset) // processes}{each}: the dataset {dataset.name!r} has "
            f"{len(dataset)} images, fewer than one batch{global_batch}",
        )
