"""Feature spaces in which real and generated images are compared, none of them downloaded.

- ``digits``: the bundled digit classifier's last hidden layer (128 values, before its ReLU),
  for digit data (the built-in digits, MNIST); it also tells which digit each image is.
- ``inception``: torchvision's Inception-v3 pool features (2048), where the person has its
  weights file (``inception_weights_path``); close to published FID, not equal to it (published
  FID uses the TensorFlow weights).
- ``random``: a fixed, seeded random convolutional network (256 values) for any other data. It
  ranks a run's checkpoints well, but its numbers mean nothing outside the studio.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dcgan_studio.errors import StudioError

FEATURE_SPACES = ("auto", "digits", "inception", "random")
DIGIT_DATASETS = ("digits", "mnist")  # data whose images are handwritten digits
NOT_COMPARABLE = "not comparable with published FID"
INCEPTION_ENV = "DCGAN_STUDIO_INCEPTION_WEIGHTS"
INCEPTION_FILE = "inception_v3_google-0cc3c7bd.pth"  # the name torchvision saves it under
BATCH = 500


@dataclass(frozen=True)
class Encoded:
    features: np.ndarray  # float64 (N, D)
    probabilities: np.ndarray | None  # float64 (N, classes), for a classifier's space


class FeatureSpace:
    """Maps uint8 images (N, H, W, C) to features; ``classes`` where it also classifies."""

    key = ""
    label = ""  # what a person reads: what the space is and whether it compares outside
    classes: tuple[str, ...] = ()

    def encode(self, images: np.ndarray) -> Encoded:
        raise NotImplementedError


class DigitSpace(FeatureSpace):
    key = "digits"
    label = f"digit classifier (bundled, 128 features; {NOT_COMPARABLE})"
    classes = tuple(str(d) for d in range(10))

    def __init__(self) -> None:
        from dcgan_studio.core.quality.digits import DigitClassifier

        self.classifier = DigitClassifier.load()

    def encode(self, images: np.ndarray) -> Encoded:
        features, probabilities = self.classifier.features_and_probabilities(images)
        return Encoded(features, probabilities)


def _as_float(images: np.ndarray, size: int, channels: int) -> torch.Tensor:
    """uint8 (N, H, W, C) -> float (N, channels, size, size) in [-1, 1]."""
    x = torch.from_numpy(np.array(images, np.uint8)).permute(0, 3, 1, 2).float()
    if x.shape[1] != channels:
        x = x.mean(1, keepdim=True).expand(-1, channels, -1, -1)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True)
    return x / 127.5 - 1.0


class RandomSpace(FeatureSpace):
    """Four stride-2 convolutions with seeded random weights, then the mean and the maximum of
    each channel: texture and shape statistics at several scales, the same on every machine."""

    key = "random"
    label = f"fixed random convolutional network (256 features; {NOT_COMPARABLE})"

    def __init__(self, seed: int = 0) -> None:
        rng = torch.Generator().manual_seed(seed)
        widths = (3, 32, 64, 128, 128)
        layers: list[nn.Module] = []
        for cin, cout in zip(widths, widths[1:]):
            conv = nn.Conv2d(cin, cout, 4, 2, 1)
            with torch.no_grad():  # He-scaled, from our own generator: never the global RNG
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=rng))
                conv.weight.mul_((2.0 / (cin * 16)) ** 0.5)
                conv.bias.zero_()
            layers += [conv, nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*layers).eval()  # (B, 3, 64, 64) -> (B, 128, 4, 4)

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> Encoded:
        parts = []
        for start in range(0, len(images), BATCH):
            maps = self.net(_as_float(images[start : start + BATCH], 64, 3))  # (B, 128, 4, 4)
            parts.append(torch.cat([maps.mean((2, 3)), maps.amax((2, 3))], 1))  # (B, 256)
        return Encoded(torch.cat(parts).double().numpy(), None)


def inception_weights_path() -> Path | None:
    """Inception-v3 weights the person has: ``$DCGAN_STUDIO_INCEPTION_WEIGHTS``, or the file
    torchvision keeps after downloading them (``$TORCH_HOME/hub/checkpoints``)."""
    named = os.environ.get(INCEPTION_ENV)
    if named:
        return Path(named).expanduser()
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    cached = torch_home / "hub" / "checkpoints" / INCEPTION_FILE
    return cached if cached.is_file() else None


class InceptionSpace(FeatureSpace):
    key = "inception"
    label = "Inception-v3 pool features (torchvision weights; close to, not equal to, FID)"

    def __init__(self, path: Path) -> None:
        from torchvision.models import inception_v3

        net = inception_v3(weights=None, aux_logits=True, init_weights=False)
        try:
            net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise StudioError(
                f"the Inception-v3 weights {path} cannot be used ({str(exc).splitlines()[0]}): "
                f"point {INCEPTION_ENV} at torchvision's {INCEPTION_FILE}, or choose "
                "--features random"
            ) from exc
        net.fc = nn.Identity()
        self.net = net.eval()

    @torch.no_grad()
    def encode(self, images: np.ndarray) -> Encoded:
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        parts = []
        for start in range(0, len(images), 100):
            x = (_as_float(images[start : start + 100], 299, 3) + 1) / 2  # [0, 1]
            parts.append(self.net((x - mean) / std))  # (B, 2048)
        return Encoded(torch.cat(parts).double().numpy(), None)


def choose_feature_space(dataset: str, wanted: str = "auto") -> str:
    """The key of the space to score ``dataset`` in: digits for digit data, Inception where its
    weights are at hand, the random network otherwise."""
    if wanted not in FEATURE_SPACES:
        raise StudioError(
            f"unknown feature space {wanted!r}: use one of {', '.join(FEATURE_SPACES)}"
        )
    if wanted != "auto":
        return wanted
    if dataset in DIGIT_DATASETS:
        return "digits"
    return "inception" if inception_weights_path() is not None else "random"


@lru_cache(maxsize=4)
def feature_space(key: str) -> FeatureSpace:
    """The space ``key`` names, built once per process (read-only afterwards)."""
    if key == "digits":
        return DigitSpace()
    if key == "random":
        return RandomSpace()
    if key == "inception":
        path = inception_weights_path()
        if path is None or not path.is_file():
            raise StudioError(
                f"no Inception-v3 weights here: set {INCEPTION_ENV} to torchvision's "
                f"{INCEPTION_FILE} (see docs/quality.md), or choose --features random"
            )
        return InceptionSpace(path)
    raise StudioError(f"unknown feature space {key!r}: use one of {', '.join(FEATURE_SPACES)}")


def feature_space_label(key: str) -> str:
    """What the space ``key`` is, for a person, without building it."""
    spaces = {s.key: s.label for s in (DigitSpace, RandomSpace, InceptionSpace)}
    return spaces.get(key, f"{key} features")
