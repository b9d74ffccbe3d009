"""``digits``: 10,000 real MNIST digits bundled with the app (resources/digits), no download."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data.base import ImageDataset, in_memory
from dcgan_studio.errors import DatasetError

DIGITS_FILE = ("digits", "mnist_digits.npz")
SOURCE_ROOT = Path(__file__).resolve().parents[3]  # a source checkout: resources/ lives here


def bundled_file(*parts: str) -> Path:
    """A file under ``resources/``: inside the installed package, or in a source checkout."""
    try:
        root = importlib.resources.files("dcgan_studio.resources")
        path = Path(str(root.joinpath(*parts)))
        if path.is_file():
            return path
    except ModuleNotFoundError:
        pass
    path = SOURCE_ROOT / "resources" / Path(*parts)
    if not path.is_file():
        raise DatasetError(
            f"the bundled file resources/{'/'.join(parts)} is missing from this installation: "
            "reinstall DCGAN Studio (pip install --force-reinstall dcgan-studio)"
        )
    return path


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


def load_digits(cfg: RunConfig) -> ImageDataset:
    images, labels = load_digits_raw()
    return in_memory(
        "digits",
        images[:, None],
        labels,
        "10,000 MNIST handwritten digits (bundled)",
        cfg.model.image_size,
        cfg.model.channels,
        class_names=tuple(str(d) for d in range(10)),
    )
