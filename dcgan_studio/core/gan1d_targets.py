"""The 1-D distributions the playground's GAN learns, and the density estimates it is drawn with.

A target samples with a private ``torch.Generator`` (the global RNG is never touched), gives its
exact density on a grid, and a plot range that holds nearly all of its mass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Gaussian:
    mean: float = 4.0
    std: float = 1.25

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, generator=generator)  # (n,)

    def density(self, x: np.ndarray) -> np.ndarray:
        u = (np.asarray(x, dtype=np.float64) - self.mean) / self.std
        return np.exp(-0.5 * u * u) / (self.std * math.sqrt(2 * math.pi))

    def plot_range(self) -> tuple[float, float]:
        return self.mean - 4 * self.std, self.mean + 4 * self.std


@dataclass(frozen=True)
class TwoGaussians:
    """An equal mixture of N(mean1, std) and N(mean2, std)."""

    mean1: float = -3.0
    mean2: float = 3.0
    std: float = 0.5

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        which = torch.rand(n, generator=generator) < 0.5
        centre = torch.where(which, self.mean1, self.mean2)
        return centre + self.std * torch.randn(n, generator=generator)  # (n,)

    def density(self, x: np.ndarray) -> np.ndarray:
        parts = (Gaussian(self.mean1, self.std), Gaussian(self.mean2, self.std))
        return 0.5 * (parts[0].density(x) + parts[1].density(x))

    def plot_range(self) -> tuple[float, float]:
        lo, hi = sorted((self.mean1, self.mean2))
        return lo - 4 * self.std, hi + 4 * self.std


@dataclass(frozen=True)
class Uniform:
    low: float = 2.0
    high: float = 6.0

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.low + (self.high - self.low) * torch.rand(n, generator=generator)  # (n,)

    def density(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, 1.0 / (self.high - self.low), 0.0)

    def plot_range(self) -> tuple[float, float]:
        margin = 0.5 * (self.high - self.low)
        return self.low - margin, self.high + margin


Target = Gaussian | TwoGaussians | Uniform


def centres(target: Target) -> list[float]:
    """Where the target's mass sits: the means, or the ends of a uniform."""
    if isinstance(target, Gaussian):
        return [target.mean]
    if isinstance(target, TwoGaussians):
        return [target.mean1, target.mean2]
    return [target.low, target.high]


# --- density estimates ---------------------------------------------------------------------------


def kde(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE of (N,) samples on an (n,) grid; bandwidth 0.9 min(std, IQR/1.34) N^-1/5
    (Silverman), never narrower than the grid spacing, so a collapsed G still draws a bump."""
    samples = np.asarray(samples, dtype=np.float64)
    grid = np.asarray(grid, dtype=np.float64)
    q75, q25 = np.percentile(samples, [75, 25])
    spread = min(samples.std(), (q75 - q25) / 1.34) or samples.std()
    h = max(0.9 * spread * len(samples) ** -0.2, (grid[-1] - grid[0]) / (len(grid) - 1))
    u = (grid[:, None] - samples[None, :]) / h  # (n, N)
    return np.exp(-0.5 * u * u).sum(axis=1) / (len(samples) * h * math.sqrt(2 * math.pi))


def bin_edges(grid: np.ndarray) -> np.ndarray:
    """(n + 1,) edges of bins centred on the (n,) increasing grid points."""
    grid = np.asarray(grid, dtype=np.float64)
    mid = 0.5 * (grid[1:] + grid[:-1])
    return np.concatenate(([2 * grid[0] - mid[0]], mid, [2 * grid[-1] - mid[-1]]))


def histogram_density(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """(n,) density of (N,) samples in bins centred on the (n,) increasing grid points."""
    edges = bin_edges(grid)
    counts, _ = np.histogram(samples, bins=edges)
    return counts / (len(samples) * np.diff(edges))
