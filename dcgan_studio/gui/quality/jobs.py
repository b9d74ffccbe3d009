"""Scoring off the GUI thread: G's published weights, every ``interval_s`` seconds while a run
trains, scored on a worker of its own and written to the run's ``quality.jsonl``.

The scorer (the feature space and the encoded real images) is built once per run's data and
kept; the first scoring says that it is preparing the real images. Reading an opened run's
scores is a job on the same worker, so a score and a read never interleave.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import numpy as np
from PySide6.QtCore import QObject

from dcgan_studio.config import RunConfig
from dcgan_studio.core.alerts import Alert, class_collapse
from dcgan_studio.core.quality.features import feature_space_label
from dcgan_studio.core.quality.nearest import NearestIndex
from dcgan_studio.core.quality.scorer import QualityScorer, in_the_background, one_thread
from dcgan_studio.core.quality.scores import QualityScore
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot
from dcgan_studio.core.tensorboard_log import keep_score
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.quality.model import QualityModel
from dcgan_studio.gui.workers import Worker

log = logging.getLogger("dcgan_studio")
SCORE = "score"  # the key of live scorings: one waiting at most, the newest weights
NEAREST = "nearest"  # the key of searches for the nearest real images: the newest wins
READ = "read"  # the key of reading an opened run's scores: only the newest run's are shown


def scorer_key(config: RunConfig) -> tuple:
    """What a scorer depends on: the data and the images' shape (not learning rates)."""
    m = config.model
    return (config.data, m.image_size, m.channels, m.nz)


class QualityJobs(QObject):
    def __init__(
        self,
        model: QualityModel,
        on_alert: Callable[[Alert | None], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.on_alert = model, on_alert
        self._worker = Worker("dcgan-quality", self)  # scores, at the lowest priority
        self._searches = Worker("dcgan-nearest", self)  # a person waits for these
        self._scorer: QualityScorer | None = None  # only the worker's thread changes it
        self._index: NearestIndex | None = None  # likewise
        self._index_key: tuple | None = None
        self.run_dir: RunDirectory | None = None
        self.config: RunConfig | None = None
        self._due = 0.0  # time.monotonic() from which the next live score may start
        self._scored_step = -1  # the newest step scored or asked for
        self._collapse: Alert | None = None  # the alert these scores raised, while it holds

    @property
    def busy(self) -> bool:
        return self._worker.busy or self._searches.busy

    # ---- the run --------------------------------------------------------------------------------
    def set_run(
        self, run_dir: RunDirectory | None, config: RunConfig | None, read: bool = True
    ) -> None:
        """Training started or a run was opened: its scores, read off the GUI thread (``read``
        False: whoever opened it fills the model, as following a run does; a read still on its
        way is dropped, so it never replaces what they put there)."""
        self.run_dir, self.config = run_dir, config
        self._scored_step, self._due, self._collapse = -1, 0.0, None
        self._worker.cancel(SCORE)
        self._worker.cancel(READ)
        self.model.clear()
        if run_dir is not None and read:
            self._worker.submit(
                lambda: _read_scores(run_dir), self._on_read, key=READ, on_error=self._on_failed
            )

    def _on_read(self, scores: list[QualityScore]) -> None:
        label = feature_space_label(scores[-1].feature_space) if scores else ""
        self.model.replace(scores, label)
        self._scored_step = max([self._scored_step] + [s.step for s in scores])

    # ---- live ---------------------------------------------------------------------------------
    def offer(self, weights: GeneratorWeightsSnapshot, final: bool = False) -> bool:
        """New weights from training: scored when the interval has passed since the last score
        (``final``: whenever they are new, the run's last G). True when a scoring was asked."""
        if self.run_dir is None or self.config is None or self.model.interval_s <= 0:
            return False
        now = time.monotonic()
        if weights.step <= self._scored_step or (not final and now < self._due):
            return False
        if self._worker.busy and not final:
            return False  # the scorer is behind: skip rather than queue up
        self._scored_step = weights.step
        self._due = now + self.model.interval_s
        run_dir, config = self.run_dir, self.config
        self._worker.submit(
            lambda: self._score(weights, run_dir, config),
            self._on_scored,
            key=SCORE,
            on_error=self._on_failed,
            on_yield=self.model.set_status,
            every_answer=True,
        )
        return True

    def _score(
        self, weights: GeneratorWeightsSnapshot, run_dir: RunDirectory, config: RunConfig
    ) -> Iterator[str]:
        """On the worker: build the scorer if this data has none, score, write the line; yields
        what it is doing, returns (the score, the feature space's label, the run folder)."""
        in_the_background()  # this worker's thread only: training goes first
        if self._scorer is None or scorer_key(self._scorer.config) != scorer_key(config):
            self._scorer = None
            yield "preparing the real images to score against…"
            self._scorer = QualityScorer(config)
        yield f"scoring G of iteration {weights.step}…"
        score = self._scorer.score_weights(weights.state, weights.step)
        problem = keep_score(run_dir, score.record())
        return score, self._scorer.label, run_dir, problem

    def _on_scored(self, result: tuple[QualityScore, str, RunDirectory, str | None]) -> None:
        score, label, run_dir, problem = result
        if run_dir is not self.run_dir:
            return  # a score of the run shown before (every answer comes: a final one may follow)
        self.model.add(score, label)
        if problem is not None:
            log.warning("the score of iteration %d is kept, but %s", score.step, problem)
            self.model.set_status(f"the score of iteration {score.step} is kept, but {problem}")
        else:
            self.model.set_status(f"every {self.model.interval_s:g} s while training")
        alert = class_collapse(score)
        if alert is not None and self._collapse is None:
            self._collapse = alert
            self.on_alert(alert)
        elif alert is None and self._collapse is not None:
            self._collapse = None
            self.on_alert(None)

    # ---- nearest real images ------------------------------------------------------------------
    def find_nearest(self, what: str, image: np.ndarray) -> None:
        """The real training images nearest to ``image`` (uint8 (S, S, C)), ``what`` it is."""
        config = self.config
        if config is None:
            self.model.nearest_failed.emit(
                "Start training or open a run first: its data is searched."
            )
            return
        self._searches.submit(
            lambda: self._nearest(config, image),
            lambda found: self.model.nearest_found.emit(what, image, *found),
            key=NEAREST,
            on_yield=lambda progress: self.model.indexing.emit(*progress),
            on_error=lambda error: self.model.nearest_failed.emit(f"Cannot search: {error}"),
        )

    def _nearest(self, config: RunConfig, image: np.ndarray) -> Iterator[tuple[int, int]]:
        """On the worker: the index of the run's data (built once, saying how far it got),
        then the search; returns (NearestReal, a note on what was searched)."""
        one_thread()
        if self._index is None or self._index_key != scorer_key(config):
            self._index = None
            self._index = yield from NearestIndex.build(config)
            self._index_key = scorer_key(config)
        index = self._index
        want = index.images.shape[1:]
        if image.shape[2] != want[2]:  # a saved grid is RGB; grey data has one channel
            image = image[:, :, :1] if want[2] == 1 else np.repeat(image[:, :, :1], 3, 2)
        if image.shape != want:
            raise StudioError(f"the image is {image.shape[0]} px, the data {want[0]} px")
        sampled = f" (a sample of {len(index.indices):,})" if index.sampled else ""
        note = f"Among {index.dataset_size:,} training images{sampled}, by {index.space.label}."
        return index.query(image), note

    def _on_failed(self, error: Exception) -> None:
        self.model.set_status(f"cannot score: {error}")

    def shutdown(self) -> bool:
        return all([self._worker.shutdown(), self._searches.shutdown()])


def _read_scores(run_dir: RunDirectory) -> list[QualityScore]:
    scores = [QualityScore.from_record(r) for r in run_dir.read_quality()]
    return [s for s in scores if s is not None]
