"""Datasets: the registry of what can be trained on, loaded into memory as uint8 tensors.

Images are kept as uint8 (N, C, S, S) at the run's size and channels (a quarter of the memory of
float32) and scaled to [-1, 1] for tanh one batch at a time. The order of batches comes from a
seeded ``BatchSampler`` whose state is part of every checkpoint, so a resumed run sees the same
batches as one that never stopped.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dcgan_studio.config import RunConfig
from dcgan_studio.errors import ConfigError, DatasetError

DIGITS_FILE = ("digits", "mnist_digits.npz")


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
class ImageDataset:
    name: str
    images: torch.Tensor  # uint8 (N, C, S, S)
    labels: np.ndarray | None  # (N,) class indices, where the dataset has them
    description: str

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        """float32 (B, C, S, S) in [-1, 1]."""
        return to_tanh_range(self.images[indices])


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
            chunk = F.interpolate(chunk, size=(size, size), mode="bilinear", antialias=True,
                                  align_corners=False)
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


def _load_digits(cfg: RunConfig) -> ImageDataset:
    images, labels = load_digits_raw()
    tensor = fit_images(torch.from_numpy(images)[:, None], cfg.model.image_size, cfg.model.channels)
    return ImageDataset("digits", tensor, labels, "10,000 MNIST handwritten digits (bundled)")


_REGISTRY: dict[str, tuple[Callable[[RunConfig], ImageDataset], str]] = {
    "digits": (_load_digits, "10,000 real MNIST handwritten digits, bundled, no download"),
}


def dataset_names() -> list[str]:
    return list(_REGISTRY)


def describe_datasets() -> dict[str, str]:
    return {name: text for name, (_, text) in _REGISTRY.items()}


def load_dataset(cfg: RunConfig) -> ImageDataset:
    name = cfg.data.dataset
    if name not in _REGISTRY:
        raise DatasetError(
            f"unknown dataset {name!r}: use one of {', '.join(dataset_names())}"
        )
    dataset = _REGISTRY[name][0](cfg)
    if len(dataset) < cfg.optim.batch_size:
        raise ConfigError(
            "optim.batch_size", cfg.optim.batch_size,
            f"at most {len(dataset)}: the dataset {name!r} has {len(dataset)} images, fewer "
            "than one batch",
        )
    return dataset


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
        self.generator.set_state(state["generator"])
        self.order = state["order"].clone()
        self.epoch, self.cursor = (int(v) for v in state["epoch_cursor"])
