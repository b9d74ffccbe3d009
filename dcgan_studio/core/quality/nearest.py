"""The real images nearest to a generated one (the memorisation check): in a feature space and
in pixel space, among the run's training images.

``NearestIndex.build`` encodes the training images once, saying how far it got (a large dataset
takes a while); a query is then a few milliseconds. At most ``MOST`` images are indexed:
a larger dataset is sampled (seeded), and the index says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import Cancel, LoadCancelled, load_dataset
from dcgan_studio.core.quality.features import choose_feature_space, feature_space

MOST = 20_000  # images indexed at most (their pixels are kept, as uint8)
CHUNK = 1000


@dataclass(frozen=True)
class Neighbours:
    """The ``k`` nearest real images, nearest first, with their indices in the dataset."""

    indices: np.ndarray  # (k,) int
    distances: np.ndarray  # (k,) float
    images: np.ndarray  # uint8 (k, S, S, C)


@dataclass(frozen=True)
class NearestReal:
    by_features: Neighbours
    by_pixels: Neighbours  # RMS per-pixel difference, in [0, 1] (0: the same image)


class NearestIndex:
    """The encoded training images of a run (``build`` makes one, saying how far it got)."""

    def __init__(
        self, key: str, indices: np.ndarray, images: np.ndarray, features: np.ndarray, total: int
    ) -> None:
        self.key, self.space = key, feature_space(key)
        self.indices, self.images, self.features = indices, images, features
        self.dataset_size = total

    @classmethod
    def build(
        cls, config: RunConfig, features: str = "auto", cancel: Cancel | None = None
    ) -> Iterator[tuple[int, int]]:
        """Yields (images encoded, of how many) as it goes; returns the index."""
        dataset = load_dataset(config, cancel=cancel)
        total = len(dataset)
        order = np.arange(total)
        if total > MOST:  # a seeded sample, in file order (a streamed dataset reads forwards)
            order = np.sort(np.random.default_rng(0).choice(total, MOST, replace=False))
        key = choose_feature_space(config.data.dataset, features)
        space = feature_space(key)
        images, codes = [], []
        for start in range(0, len(order), CHUNK):
            if cancel is not None and cancel():
                raise LoadCancelled("indexing cancelled")
            chunk = dataset.images[torch.from_numpy(order[start : start + CHUNK])]
            chunk = chunk.permute(0, 2, 3, 1).contiguous().numpy()  # (B, S, S, C)
            images.append(chunk)
            codes.append(space.encode(chunk).features.astype(np.float32))
            yield start + len(chunk), len(order)
        return cls(key, order, np.concatenate(images), np.concatenate(codes), total)

    @classmethod
    def of(cls, config: RunConfig, features: str = "auto") -> NearestIndex:
        """``build``, run to its end."""
        building = cls.build(config, features)
        while True:
            try:
                next(building)
            except StopIteration as done:
                return done.value

    @property
    def sampled(self) -> bool:
        return len(self.indices) < self.dataset_size

    def query(self, image: np.ndarray, k: int = 5) -> NearestReal:
        """The ``k`` real images nearest to uint8 ``image`` (S, S, C) of the run's shape."""
        image = np.asarray(image, np.uint8)
        if image.shape != self.images.shape[1:]:
            raise ValueError(f"an image {image.shape} does not fit {self.images.shape[1:]}")
        code = self.space.encode(image[None]).features[0].astype(np.float32)
        flat = image.reshape(-1).astype(np.float32) / 255
        features, pixels = np.empty(len(self.images)), np.empty(len(self.images))
        for start in range(0, len(self.images), CHUNK):  # differences, not |a|²-2ab+|b|²: exact
            part = self.features[start : start + CHUNK] - code
            features[start : start + CHUNK] = np.sqrt((part * part).sum(1))
            diff = self.images[start : start + CHUNK].reshape(-1, flat.size) / np.float32(255)
            diff -= flat
            pixels[start : start + CHUNK] = np.sqrt((diff * diff).mean(1))
        return NearestReal(self._nearest(features, k), self._nearest(pixels, k))

    def _nearest(self, distances: np.ndarray, k: int) -> Neighbours:
        k = min(k, len(distances))
        best = np.argpartition(distances, k - 1)[:k]
        best = best[np.argsort(distances[best], kind="stable")]
        return Neighbours(self.indices[best], distances[best], self.images[best])
