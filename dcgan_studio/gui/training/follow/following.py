"""File > Follow Run: the window shows a run that another process writes (``dcgan-studio
train``, torchrun, another machine through a shared or synced folder) and takes in what lands.

The run is opened as File > Open Run opens one (the same run model, history, grid scrubber and
views), then each poll's news (``core.follow.RunNews``, read by ``FollowJobs`` off the GUI
thread) goes into the same models a live run fills: metrics into the loss history, new grids onto
the scrubber, scores into the Quality tab, alerts into the alert banner, and a new checkpoint to
the feature maps and the latent space (``checkpoint_landed``). What the follower read is all
the window goes by while following lasts: the checkpoints are its whole ones
(``checkpoints_changed``), never a listing of the folder on the GUI thread (a network or synced
folder can take seconds to list, and may show a checkpoint whose files are still coming), and the
Quality tab is filled from its news alone. The controls are read-only and a banner names the
writer while following lasts; opening, making or branching another run, or Stop Following, ends
it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from dcgan_studio.config import RunConfig
from dcgan_studio.core.alerts import Alert
from dcgan_studio.core.follow import RunNews
from dcgan_studio.core.quality.features import feature_space_label
from dcgan_studio.core.quality.scores import QualityScore
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.writer_status import WriterStatus
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.training.controls import TrainingControls
from dcgan_studio.gui.training.follow.banner import FollowBanner
from dcgan_studio.gui.training.follow.jobs import FollowJobs
from dcgan_studio.gui.training.model import RunModel
from dcgan_studio.gui.training.sample_panel import SamplePanel
from dcgan_studio.gui.training.status_readouts import StatusReadouts
from dcgan_studio.gui.wording import in_window_words


class Scores(Protocol):
    """The Quality tab's model (gui.quality.model.QualityModel), as following fills it."""

    def replace(self, scores: list[QualityScore], space_label: str = "") -> None: ...

    def add(self, score: QualityScore, space_label: str) -> None: ...


def alert_of(record: dict) -> Alert | None:
    """An alerts.jsonl line as the banner shows it; None for a damaged one."""
    try:
        return Alert(
            str(record["kind"]),
            int(record["step"]),
            str(record["title"]),
            str(record.get("message", "")),
            str(record.get("what_to_try", "")),
            str(record.get("severity", "warning")),
        )
    except (KeyError, TypeError, ValueError):
        return None


class RunFollowing(QObject):
    checkpoints_changed = Signal(object)  # tuple: the steps of the followed run's whole ones
    checkpoint_landed = Signal(object)  # Path: the newest whole checkpoint of the followed run

    def __init__(
        self,
        model: RunModel,
        controls: TrainingControls,
        samples: SamplePanel,
        banner: FollowBanner,
        quality: Scores,
        readouts: StatusReadouts,
        say: Callable[..., None],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.model, self.controls, self.samples, self.banner = model, controls, samples, banner
        self.quality, self.readouts, self._say, self._parent = quality, readouts, say, dialog_parent
        self.jobs = FollowJobs(self)
        self.config: RunConfig | None = None
        self.continued_at: int | None = None  # the writer continued from here after it stopped
        self._checkpoints: tuple[int, ...] = ()  # the followed run's, as the last poll saw them
        self._opening = False  # this class opens the followed run: that ends no following
        model.follow_changed.connect(self._on_model_follow_changed)
        model.run_opened.connect(self._on_model_run_opened)
        model.training_started.connect(lambda *_: self.jobs.stop())
        banner.stop_requested.connect(self.stop)

    @property
    def active(self) -> bool:
        return self.model.following is not None

    @property
    def opening(self) -> bool:
        """The run being opened now is the one to follow (the model's run_opened is under
        way): its checkpoints and scores come from the follower, not from the folder."""
        return self._opening

    @property
    def checkpoints(self) -> tuple[int, ...]:
        """The steps of the followed run's whole checkpoints, as the last poll saw them."""
        return self._checkpoints

    # ---- the person's commands ----------------------------------------------------------------
    def ask_and_follow(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self._parent, "Follow Run", str(self.model.runs_root)
        )
        if folder:
            self.follow(Path(folder))

    def follow(self, folder: Path) -> bool:
        """Open the run in ``folder`` and follow it; False while this window trains."""
        if self.model.running:
            self._say("Stop training first: the window shows one run at a time.", 8000)
            return False
        self._say(f"Following {folder}: reading what it holds…")
        self.jobs.start(
            Path(folder), self._on_first, self._on_news, self._on_failed, self._on_refused
        )
        return True

    def stop(self) -> None:
        """Stop Following: the run stays on screen as it is, opened; Start continues it."""
        if not self.active:
            return
        writer = self.model.following
        self.jobs.stop()
        self.model.set_following(None)
        root = self.model.run_dir.root if self.model.run_dir else ""
        can_continue = self.model.settle_opened(bool(self._checkpoints))
        self._show_progress()
        if not can_continue:
            after = ""
        elif writer.live:
            after = f"; Start continues it here once {writer.who} has stopped"
        else:
            after = "; Start continues it here"
        self._say(f"Stopped following {root}{after}", 10000)

    def shutdown(self, timeout: float = 10.0) -> None:
        self.jobs.shutdown(timeout)

    # ---- what the follower reads --------------------------------------------------------------
    def _on_first(self, run: RunDirectory, news: RunNews) -> None:
        self.config, self.continued_at = news.config, None
        self._checkpoints = news.checkpoint_steps
        self._opening = True
        try:
            self.model.open(run, news.config, list(news.metrics), list(news.sample_steps))
        finally:
            self._opening = False
        self.controls.set_config(news.config)
        self._show_scores(news, replace=True)
        self.model.set_following(news.writer)
        self._show_progress()
        self._say(
            f"Following {run.root}: {self.model.shown_step:,} iterations so far; what it saves "
            "next shows as it lands.",
            10000,
        )

    def _on_news(self, news: RunNews) -> None:
        if not self.active:
            return
        if news.config is not None:
            self.config = news.config
            self.controls.set_config(news.config)
        if news.resumed:  # from a checkpoint where the metrics were cut back, else where it was
            resumed_at = news.continued_from
            self.continued_at = self.model.shown_step if resumed_at is None else resumed_at
        if news.checkpoint_steps != self._checkpoints:
            self._checkpoints = news.checkpoint_steps
            self.checkpoints_changed.emit(news.checkpoint_steps)
        self.model.add_records(list(news.metrics), news.metrics_replaced)
        if news.new_sample_steps or news.metrics_replaced:
            self.samples.set_saved_steps(list(news.sample_steps))
        self._show_scores(news, replace=news.quality_replaced)
        alerts = [a for a in map(alert_of, news.alerts) if a is not None]
        if alerts:
            self.model.show_alert(alerts[-1])
        if news.new_checkpoint is not None:
            self.checkpoint_landed.emit(self.model.run_dir.checkpoint_path(news.new_checkpoint))
        writer = news.writer
        if writer is not None and not writer.live:
            self.continued_at = None
        changed = writer != self.model.following
        self.model.set_following(writer)
        if self.banner.state == "problem" or news.resumed:  # the same writer, said anew
            self._on_model_follow_changed(writer)
        if news.landed or changed:
            self._show_progress()

    def _on_refused(self, error: Exception) -> None:
        """The folder cannot be followed (not a run, unreadable): said, and nothing changes
        but that a run followed until now is not read any more."""
        message = in_window_words(str(error)) if isinstance(error, StudioError) else str(error)
        if self.active:
            self.model.set_following(None)
            self.model.settle_opened(bool(self._checkpoints))
        self._say(f"Cannot follow: {message}", 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Follow Run",
            f"Cannot follow this folder: {message}",
            QMessageBox.StandardButton.Ok,
            self._parent,
        )
        box.setObjectName("follow-error-dialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_failed(self, error: Exception) -> None:
        """A poll failed (the folder gone for a moment, a permission): said in the banner; the
        next poll may succeed."""
        message = in_window_words(str(error)) if isinstance(error, StudioError) else str(error)
        if self.active:
            self.banner.show_problem(message)

    # ---- the views ----------------------------------------------------------------------------
    def _show_scores(self, news: RunNews, replace: bool) -> None:
        scores = [s for s in map(QualityScore.from_record, news.quality) if s is not None]
        if replace:
            label = feature_space_label(scores[-1].feature_space) if scores else ""
            self.quality.replace(scores, label)
            return
        for score in scores:
            self.quality.add(score, feature_space_label(score.feature_space))

    def _show_progress(self) -> None:
        history, config, writer = self.model.history, self.config, self.model.following
        if not len(history) or config is None:
            return
        if self.model.run_dir is None:  # stopped following a run without a checkpoint
            self.readouts.show_stopped()
            return
        step = self.model.shown_step
        total = max(config.schedule.iterations or step, step)
        if writer is None or not writer.live or writer.state == "paused":
            self.readouts.show_stopped(step, total)
            if writer is not None and writer.state == "paused":
                self.readouts.show_paused()
            return
        row = {name: float(history.column(name)[-1]) for name in ("epoch", "images_per_second")}
        snap = SimpleNamespace(
            step=step,
            epoch=int(row["epoch"]) if row["epoch"] == row["epoch"] else None,
            epoch_progress=None,
            images_per_second=row["images_per_second"] if row["images_per_second"] > 0 else 0.0,
        )
        batch = writer.batch or config.optim.batch_size
        self.readouts.show_progress(snap, total, batch)

    # ---- the run model's events ---------------------------------------------------------------
    def _on_model_follow_changed(self, writer: WriterStatus | None) -> None:
        if self.controls.read_only != (writer is not None):  # not on each new step
            self.controls.set_read_only(writer is not None)
        root = str(self.model.run_dir.root) if self.model.run_dir else ""
        self.banner.show_writer(writer, root, self.continued_at)

    def _on_model_run_opened(self, run_dir, config) -> None:
        """Another run opened (or New Run): following ends."""
        if not self._opening:
            self.jobs.stop()
