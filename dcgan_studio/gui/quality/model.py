"""The scores a run has, as a Qt-free model: the Quality tab draws them, the jobs add to them."""

from __future__ import annotations

import numpy as np

from dcgan_studio.core.quality.scores import QualityScore
from dcgan_studio.gui.events import Event

DEFAULT_INTERVAL_S = 30  # training stays within 5% of its speed (benchmarks/bench_quality.py)


class QualityModel:
    def __init__(self) -> None:
        self.scores: list[QualityScore] = []
        self.space_label = ""  # what the feature space is, for a person
        self.status = ""  # what the scorer is doing now, or why it cannot
        self.interval_s = DEFAULT_INTERVAL_S  # 0: no live scores
        self.changed = Event()  # the scores were added to or replaced
        self.status_changed = Event()  # (text)
        # the memorisation check: (done, total) while the training images are indexed, then
        # (what, image, NearestReal, note) or (text) when the search failed
        self.indexing = Event()
        self.nearest_found = Event()
        self.nearest_failed = Event()

    def replace(self, scores: list[QualityScore], space_label: str = "") -> None:
        self.scores = sorted(scores, key=lambda s: s.step)
        self.space_label = space_label
        self.changed.emit()

    def add(self, score: QualityScore, space_label: str) -> None:
        """A new score: one of a step already scored replaces it (a resume scores again)."""
        self.scores = [s for s in self.scores if s.step < score.step] + [score]
        self.space_label = space_label
        self.changed.emit()

    def clear(self) -> None:
        self.replace([])
        self.set_status("")

    def set_status(self, text: str) -> None:
        if text != self.status:
            self.status = text
            self.status_changed.emit(text)

    def column(self, name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in self.scores], dtype=np.float64)

    def at(self, step: int | None) -> QualityScore | None:
        """The score shown for ``step``: the newest at or before it (the newest for None)."""
        if not self.scores:
            return None
        if step is None:
            return self.scores[-1]
        before = [s for s in self.scores if s.step <= step]
        return before[-1] if before else self.scores[0]
