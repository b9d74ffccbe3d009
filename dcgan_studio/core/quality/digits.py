"""The bundled digit classifier: a small CNN trained on 8,000 of the bundled MNIST digits
(``resources/quality/train_digit_classifier.py``), whose last hidden layer (before its ReLU) is
the feature space of the scores for digit data, and whose softmax says which digit a sample is."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dcgan_studio.core.data import bundled_file, fit_images, to_tanh_range
from dcgan_studio.errors import StudioError

DIGITS_TOTAL = 10_000
HELD_OUT = 2000  # never seen by the classifier: its test set, and the scores' real images
WEIGHTS_FILE = ("quality", "digit_classifier.safetensors")
BATCH = 500


def split_indices(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(8,000 training indices, 2,000 held-out ones) into the bundled digits, fixed by ``seed``."""
    order = np.random.default_rng(seed).permutation(DIGITS_TOTAL)
    return np.sort(order[HELD_OUT:]), np.sort(order[:HELD_OUT])


def classifier_net() -> nn.Sequential:
    return nn.Sequential(  # (B, 1, 32, 32) in [-1, 1]
        nn.Conv2d(1, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 32, 16, 16)
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 64, 8, 8)
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (B, 64, 4, 4)
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128),  # (B, 128): the features
        nn.ReLU(),
        nn.Linear(128, 10),  # (B, 10): the logits
    )


def prepare(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W), (N, H, W, 1) or (N, H, W, 3) -> float (N, 1, 32, 32) in [-1, 1]."""
    x = torch.from_numpy(np.array(images, np.uint8))  # a copy: snapshots are read-only
    if x.ndim == 3:
        x = x[..., None]
    x = x.permute(0, 3, 1, 2)  # (N, C, H, W)
    if x.shape[1] == 3:  # colour: the mean of the channels
        x = x.float().mean(1, keepdim=True).round().to(torch.uint8)
    return to_tanh_range(fit_images(x, 32, 1))


class DigitClassifier:
    """The shipped classifier, in eval mode on the CPU; takes uint8 images, returns numpy."""

    def __init__(self, net: nn.Sequential) -> None:
        self.net = net.eval()
        # the features: Linear(1024, 128) before its ReLU (after it, 62 of the 128 units are
        # zero on every digit, and the covariances of FD singular)
        self.trunk = net[:-2]

    @classmethod
    def load(cls) -> DigitClassifier:
        """The shipped weights, read once per process; StudioError when missing or damaged."""
        return _load()

    @torch.no_grad()
    def features_and_probabilities(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float64 (N, 128) features and (N, 10) class probabilities, from one pass."""
        features, probabilities = [np.zeros((0, 128))], [np.zeros((0, 10))]
        for start in range(0, len(images), BATCH):
            h = self.trunk(prepare(images[start : start + BATCH]))  # (B, 128)
            features.append(h.double().numpy())
            probabilities.append(F.softmax(self.net[-1](F.relu(h)).double(), 1).numpy())  # (B, 10)
        return np.concatenate(features), np.concatenate(probabilities)

    def features(self, images: np.ndarray) -> np.ndarray:
        """float64 (N, 128): Linear(1024, 128)'s output, before its ReLU."""
        return self.features_and_probabilities(images)[0]

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """float64 (N, 10): softmax over the digits 0-9; each row sums to 1."""
        return self.features_and_probabilities(images)[1]


@lru_cache(maxsize=1)
def _load() -> DigitClassifier:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        path = bundled_file(*WEIGHTS_FILE)
    except StudioError as exc:
        raise StudioError(f"the digit classifier is missing: {exc}") from exc
    net = classifier_net()
    try:
        net.load_state_dict(load_file(path))
    except (OSError, SafetensorError, RuntimeError, KeyError) as exc:
        raise StudioError(
            f"the digit classifier {path} cannot be read ({str(exc).splitlines()[0]}): "
            "reinstall DCGAN Studio (pip install --force-reinstall dcgan-studio)"
        ) from exc
    return DigitClassifier(net)
