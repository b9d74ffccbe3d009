"""The scores of a set of generated images against held-out real ones, in a feature space.

KID (unbiased, mean and standard deviation over random subsets) and the Frechet distance come
from torchmetrics (``poly_mmd``; ``FrechetInceptionDistance`` given the features through an
identity extractor); what it lacks is here: subsets drawn from our own seeded generator (never
the global RNG, which training shares), and the class statistics of a classifier's space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

CONFIDENT = 0.9  # a sample counts as a clear member of a class above this probability


@dataclass(frozen=True)
class QualityScore:
    """One scoring of G's samples; the JSON record of ``quality.jsonl``."""

    step: int
    n: int  # samples scored
    kid: float
    kid_std: float
    fd: float
    feature_space: str  # its key (digits, random, inception)
    generator: str = "G"  # or "G (EMA)"
    classes: list[int] | None = None  # per class, the confidently classified samples
    coverage: int | None = None  # classes with at least one of them
    confident: float | None = None  # share of samples classified with confidence
    seconds: float = 0.0  # how long the scoring took

    def record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict) -> QualityScore | None:
        """The score a ``quality.jsonl`` line holds; None for a damaged one."""
        try:
            return cls(
                step=int(record["step"]),
                n=int(record["n"]),
                kid=float(record["kid"]),
                kid_std=float(record["kid_std"]),
                fd=float(record["fd"]),
                feature_space=str(record["feature_space"]),
                generator=str(record.get("generator", "G")),
                classes=None
                if record.get("classes") is None
                else [int(c) for c in record["classes"]],
                coverage=None if record.get("coverage") is None else int(record["coverage"]),
                confident=None if record.get("confident") is None else float(record["confident"]),
                seconds=float(record.get("seconds", 0.0)),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def line(self) -> str:
        """One line for a person: the scores, and the digits where there are any."""
        text = f"step {self.step}: KID {self.kid:.4f} ± {self.kid_std:.4f}, FD {self.fd:.2f}"
        if self.coverage is not None and self.confident is not None:
            kinds = len(self.classes or [])
            text += f", {self.confident:.0%} confident, {self.coverage} of {kinds} classes"
        return text + f" ({self.n} samples of {self.generator}, {self.feature_space} features)"


def kid(
    real: np.ndarray, fake: np.ndarray, subsets: int = 50, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance (cubic polynomial kernel, unbiased MMD²) between two feature
    sets (N, D): its mean and standard deviation over ``subsets`` random subsets."""
    from torchmetrics.image.kid import poly_mmd

    size = min(subset_size, len(real), len(fake))
    if size < 2:
        raise ValueError("KID needs at least two real and two generated samples")
    rng = torch.Generator().manual_seed(seed)
    r, f = (
        torch.from_numpy(np.asarray(real, np.float64)),
        torch.from_numpy(np.asarray(fake, np.float64)),
    )
    values = torch.stack(
        [
            poly_mmd(
                r[torch.randperm(len(r), generator=rng)[:size]],
                f[torch.randperm(len(f), generator=rng)[:size]],
            )
            for _ in range(subsets)
        ]
    )
    return float(values.mean()), float(values.std(unbiased=False))


class _Given(nn.Module):
    """Features passed straight through: torchmetrics then does FID's statistics on them."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """FID's formula between Gaussians fitted to two feature sets (N, D), in their space."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=_Given(real.shape[1]))
    metric.update(torch.from_numpy(np.asarray(real, np.float64)), real=True)
    metric.update(torch.from_numpy(np.asarray(fake, np.float64)), real=False)
    return max(0.0, float(metric.compute()))


def class_statistics(
    probabilities: np.ndarray, threshold: float = CONFIDENT
) -> tuple[list[int], int, float]:
    """(samples per class among the confident ones, classes covered, share confident)."""
    top, label = probabilities.max(1), probabilities.argmax(1)
    sure = top > threshold
    counts = np.bincount(label[sure], minlength=probabilities.shape[1])
    return [int(c) for c in counts], int((counts > 0).sum()), float(sure.mean())
