"""A score for generated digits that the benchmarks compute themselves, offline.

A small CNN classifier is trained on the bundled digits (a few seconds on a CPU); a generated
sample counts as *recognisable* when the classifier gives one class a probability above 0.9.
``score(images)`` reports the share of recognisable samples and how many of the ten classes
appear among them.

    python benchmarks/digit_score.py samples.npz     # images as written by `dcgan-studio sample`
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dcgan_studio.core.data import fit_images, load_digits_raw, to_tanh_range


def _classifier() -> nn.Module:
    return nn.Sequential(  # (B, 1, 32, 32)
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 32, 16, 16)
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 64, 8, 8)
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _prepare(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, 1) -> float (N, 1, 32, 32) in [-1, 1]."""
    t = torch.from_numpy(np.asarray(images)).reshape(len(images), 1, *images.shape[1:3])
    return to_tanh_range(fit_images(t, 32, 1))


def train_classifier(epochs: int = 3, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    images, labels = load_digits_raw()
    x, y = _prepare(images), torch.from_numpy(labels.astype(np.int64))
    model = _classifier()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    for _ in range(epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 128):
            idx = order[start : start + 128]
            shift = torch.randint(-2, 3, (2,)).tolist()  # small shifts: robust to placement
            batch = torch.roll(x[idx], shifts=shift, dims=(2, 3))
            loss = F.cross_entropy(model(batch), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


@dataclass(frozen=True)
class DigitScore:
    recognisable: float  # share of samples with a class probability above 0.9
    classes: int  # distinct classes among the recognisable samples

    def __str__(self) -> str:
        return f"{self.recognisable:.1%} recognisable, {self.classes}/10 digits"


@torch.no_grad()
def score(model: nn.Module, images: np.ndarray, threshold: float = 0.9) -> DigitScore:
    probs = torch.cat(
        [F.softmax(model(_prepare(images[i : i + 500])), 1) for i in range(0, len(images), 500)]
    )
    confident, cls = probs.max(1)
    ok = confident > threshold
    return DigitScore(float(ok.float().mean()), len(set(cls[ok].tolist())))


@torch.no_grad()
def features(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """The classifier's last hidden layer (128 values per image), float64 (N, 128)."""
    trunk = model[:-1]  # everything before the class logits
    return (
        torch.cat([trunk(_prepare(images[i : i + 500])) for i in range(0, len(images), 500)])
        .double()
        .numpy()
    )


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, D): FID's formula, in
    this classifier's feature space instead of Inception's."""
    from scipy.linalg import sqrtm

    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = sqrtm(cov_a @ cov_b)
    root = root.real if np.iscomplexobj(root) else root
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))


def real_features(model: nn.Module) -> np.ndarray:
    images, _ = load_digits_raw()
    return features(model, images)


if __name__ == "__main__":
    classifier = train_classifier()
    for path in sys.argv[1:]:
        print(path, score(classifier, np.load(path)["images"]))
