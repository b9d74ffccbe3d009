"""A score for generated digits that the benchmarks compute themselves, offline.

The classifier is the one the app ships (``dcgan_studio.core.quality.digits``, trained by
``resources/quality/train_digit_classifier.py`` on 8,000 of the bundled digits); a generated
sample counts as *recognisable* when it gives one class a probability above 0.9.
``score(classifier, images)`` reports the share of recognisable samples and how many of the ten
classes appear among them.

    python benchmarks/digit_score.py samples.npz     # images as written by `dcgan-studio sample`
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from dcgan_studio.core.data import load_digits_raw
from dcgan_studio.core.quality import scores
from dcgan_studio.core.quality.digits import DigitClassifier, split_indices


def load_classifier() -> DigitClassifier:
    """The shipped classifier (read once per process)."""
    return DigitClassifier.load()


@dataclass(frozen=True)
class DigitScore:
    recognisable: float  # share of samples with a class probability above 0.9
    classes: int  # distinct classes among the recognisable samples

    def __str__(self) -> str:
        return f"{self.recognisable:.1%} recognisable, {self.classes}/10 digits"


def score(classifier: DigitClassifier, images: np.ndarray, threshold: float = 0.9) -> DigitScore:
    probabilities = classifier.probabilities(images)  # (N, 10)
    confident, cls = probabilities.max(1), probabilities.argmax(1)
    ok = confident > threshold
    return DigitScore(float(ok.mean()), len(set(cls[ok].tolist())))


def features(classifier: DigitClassifier, images: np.ndarray) -> np.ndarray:
    """The classifier's last hidden layer (128 values per image), float64 (N, 128)."""
    return classifier.features(images)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (N, D): FID's formula, in
    this classifier's feature space instead of Inception's (the app's, torchmetrics')."""
    return scores.frechet_distance(a, b)


def real_features(classifier: DigitClassifier) -> np.ndarray:
    """Features of the 2,000 held-out digits, which the classifier never trained on: (2000, 128)."""
    images, _ = load_digits_raw()
    return features(classifier, images[split_indices()[1]])


if __name__ == "__main__":
    classifier = load_classifier()
    for path in sys.argv[1:]:
        print(path, score(classifier, np.load(path)["images"]))
