"""Scoring G against the run's real images: the reference set, encoded once, then any G.

``QualityScorer(config)`` picks the feature space for the run's data, draws the held-out real
images (for the bundled digits, the 2,000 the classifier never saw; otherwise a seeded sample of
the data) at the run's size and channels, encodes them once, and fixes the latent vectors, so
one G scores the same every time and two steps differ only by G.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import Cancel, Progress, fit_images, load_dataset, load_digits_raw
from dcgan_studio.core.quality.features import Encoded, choose_feature_space, feature_space
from dcgan_studio.core.quality.scores import QualityScore, class_statistics, frechet_distance, kid
from dcgan_studio.core.sampling import generate, latent_vectors

REAL = 2000  # held-out real images in the reference set
QUALITY_SEED = 0x0A11  # the scored z and the real sample: their own streams
NICE = 10  # a scorer's priority beside training: about a tenth of a core when both want one
KID_SUBSETS = 25


def one_thread() -> None:
    """The calling thread's torch work on one thread: OpenMP counts threads per calling thread,
    so training keeps both cores, and no second team of threads idles beside training's (two
    teams on two cores slowed training by a third for as long as the other thread lived)."""
    torch.set_num_threads(1)


def in_the_background() -> None:
    """One thread (``one_thread``), and a low scheduling priority for the calling thread (Linux
    schedules threads one by one): a scorer beside training rarely preempts one of training's
    threads, which would hold up the others at their next barrier. At the lowest (19) a score
    waited a minute for a gap; at 10 it takes a few seconds (benchmarks/bench_quality.py)."""
    one_thread()
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: one thread is what there is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


def reference_images(
    config: RunConfig,
    n: int = REAL,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> np.ndarray:
    """uint8 (n, S, S, C) real images at the run's size and channels: the bundled digits'
    held-out split, or a seeded sample of the run's data (loading it, off the GUI thread)."""
    size, channels = config.model.image_size, config.model.channels
    if config.data.dataset == "digits":
        from dcgan_studio.core.quality.digits import split_indices

        images, _ = load_digits_raw()
        held_out = split_indices()[1][:n]
        chosen = torch.from_numpy(images[held_out][:, None])  # (n, 1, 28, 28)
    else:
        chosen = torch.from_numpy(load_dataset(config, progress, cancel).preview(n, QUALITY_SEED))
    return fit_images(chosen, size, channels).permute(0, 2, 3, 1).contiguous().numpy()


class QualityScorer:
    """Scores generators of one run's shape against its real images; one thread at a time."""

    def __init__(
        self,
        config: RunConfig,
        features: str = "auto",
        n: int = 1000,
        real: np.ndarray | None = None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> None:
        self.config, self.n = config, n
        self.key = choose_feature_space(config.data.dataset, features)
        self.space = feature_space(self.key)
        self.real = reference_images(config, REAL, progress, cancel) if real is None else real
        encoded = self.space.encode(self.real)
        # features in units of the real ones' RMS: KID's cubic kernel (gamma 1/D) then sees
        # values of about 1, as it does with Inception's, and its numbers read alike
        self.unit = float(np.sqrt((encoded.features**2).mean())) or 1.0
        self.real_encoded = Encoded(encoded.features / self.unit, encoded.probabilities)
        self.z = latent_vectors(n, config.model.nz, QUALITY_SEED)

    @property
    def label(self) -> str:
        return self.space.label

    def score_images(
        self, images: np.ndarray, step: int, generator: str = "G", began: float | None = None
    ) -> QualityScore:
        """The scores of uint8 images (N, S, S, C) against the reference set (``began``: the
        ``time.perf_counter()`` the scoring's time counts from; now by default)."""
        began = time.perf_counter() if began is None else began
        fake = self.space.encode(images)
        return self._score(fake, len(images), step, generator, began)

    @torch.no_grad()
    def score_generator(self, g: nn.Module, step: int, generator: str = "G") -> QualityScore:
        """The scores of G's images of the fixed latent vectors."""
        began = time.perf_counter()
        return self.score_images(generate(g.eval(), self.z), step, generator, began)

    def score_weights(
        self, state: Mapping[str, np.ndarray | torch.Tensor], step: int, generator: str = "G"
    ) -> QualityScore:
        """G rebuilt from published weights (a ``GeneratorWeightsSnapshot``'s state)."""
        from dcgan_studio.core.latent import LatentRenderer

        g = LatentRenderer(self.config.model, state, step).generator
        return self.score_generator(g, step, generator)

    def _score(
        self, fake: Encoded, n: int, step: int, generator: str, began: float
    ) -> QualityScore:
        real, fake = self.real_encoded, Encoded(fake.features / self.unit, fake.probabilities)
        size = min(1000, n // 2, len(real.features) // 2)
        mean, std = kid(real.features, fake.features, KID_SUBSETS, max(2, size))
        fd = frechet_distance(real.features, fake.features)
        classes = coverage = confident = None
        if fake.probabilities is not None:
            classes, coverage, confident = class_statistics(fake.probabilities)
        return QualityScore(
            step,
            n,
            mean,
            std,
            fd,
            self.key,
            generator,
            classes,
            coverage,
            confident,
            round(time.perf_counter() - began, 3),
        )
