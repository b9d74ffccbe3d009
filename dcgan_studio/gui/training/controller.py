"""Run control: the person's Start / Pause / Stop / Step and live learning rates go to the session,
the session's reports go to the run model; the views follow the model."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.training.controls import TrainingControls
from dcgan_studio.gui.training.jobs import TrainingSession, make_branch_trainer, make_trainer
from dcgan_studio.gui.training.model import RunModel, SessionInfo
from dcgan_studio.gui.training.status_readouts import StatusReadouts

FIX_SETTING = "Fix the setting shown in red, then Start."


class RunController(QObject):
    def __init__(
        self,
        model: RunModel,
        session: TrainingSession,
        controls: TrainingControls,
        readouts: StatusReadouts,
        say: Callable[..., None],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.model, self.session, self.controls = model, session, controls
        self.readouts, self._say, self._parent = readouts, say, dialog_parent
        self.close_when_stopped: Callable[[], None] | None = None  # the window, once it stopped
        controls.start_requested.connect(self.start)
        controls.pause_toggled.connect(self.toggle_pause)
        controls.stop_requested.connect(self.stop)
        controls.step_requested.connect(self.step)
        controls.learning_rate_changed.connect(session.set_lr)
        session.ready.connect(self._on_session_ready)
        session.status_changed.connect(self._on_session_status)
        session.alerts_changed.connect(self._on_session_alerts)
        session.errored.connect(self._on_session_errored)
        session.finished.connect(self._on_session_finished)
        model.state_changed.connect(controls.set_state)

    # ---- the person's commands ----------------------------------------------------------------
    def start(self) -> None:
        if self.session.running:
            return
        if self.model.following is not None:
            self._say("Another process writes this run: Stop Following first (File menu).", 8000)
            return
        try:
            config = self.controls.config(self.model.opened_config)
        except ConfigError:
            self._say(FIX_SETTING, 8000)
            return
        run_dir, resume = self.model.begin()
        self.session.start(partial(make_trainer, config, run_dir, resume))
        self.model.started(config)
        self._say("Loading data and building the networks…")

    def branch(self, parent: Path, step: int, values: dict, label: str, config) -> bool:
        """Train a branch of ``parent`` from its checkpoint of ``step`` (``config``: the
        branch's settings, which the controls then show); False while a session runs."""
        if self.session.running:
            self._say("Stop training first: one run trains at a time.", 8000)
            return False
        run_dir = self.model.begin_branch()
        self.controls.set_config(config)
        self.session.start(partial(make_branch_trainer, parent, step, values, label, run_dir))
        self.model.started(config)
        self._say(f"Branching {parent.name} at iteration {step:,}…")
        return True

    def toggle_pause(self) -> None:
        if self.model.state == "running":
            self.session.pause()
        elif self.model.state == "paused":
            self.session.resume()

    def stop(self) -> None:
        if self.session.running:
            self.session.stop()
            self.model.set_state("stopping")
            self._say("Stopping after this step and saving a checkpoint…")

    def step(self, kind: str) -> None:
        if self.model.state in ("running", "paused"):
            self.session.step(kind)

    def forget(self) -> None:
        """File > New Run."""
        self.model.forget()
        self._say("Start begins a new run with these settings.", 6000)

    # ---- what the session reports -------------------------------------------------------------
    def _on_session_ready(self, info: SessionInfo) -> None:
        self.model.ready(info)
        self.readouts.show_session(info.device, info.precision)

    def _on_session_status(self, status) -> None:
        first = self.model.state == "starting" and status.state == "running"
        self.model.status(status)
        if status.state == "paused":
            self.readouts.show_paused()
        message = status.message
        if first and self.model.total_iterations:  # what Start does, said once
            message += (
                f", until iteration {self.model.total_iterations:,} or Stop "
                "(Iterations sets how far; Start continues a stopped run)"
            )
        self._say(message, 10000)

    def _on_session_alerts(self, snap) -> None:
        self.model.alerts(snap)
        if snap.raised is not None and snap.raised.severity == "error":
            if self.model.state == "running":
                self.session.pause()

    def _on_session_errored(self, message: str, field: str) -> None:
        self.model.last_error = message
        if field in self.controls.editors:  # a setting that does not fit: say so at the control
            self.controls.show_error(field, message)
            self._say(FIX_SETTING, 8000)
            return
        started = self.model.info is not None  # the trainer was built: it stopped on the way
        title = "Training stopped" if started else "Training could not start"
        self._say(f"{title}: {message}")  # not "Loading data…" any more
        box = QMessageBox(
            QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self._parent
        )
        box.setObjectName("error-dialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_session_finished(self) -> None:
        self.model.finished()
        total = self.model.total_iterations
        if len(self.model.history):
            self.readouts.show_stopped(self.model.shown_step, total or 0)
        else:
            self.readouts.show_stopped()
        if self.close_when_stopped is not None:
            self.close_when_stopped()

    # ---- closing ------------------------------------------------------------------------------
    def close_requested(self, close: Callable[[], None]) -> bool:
        """The window may close now (True), or once training has stopped and saved a checkpoint
        (then ``close`` is called)."""
        if not self.session.running:
            return True
        self.close_when_stopped = close
        self.stop()
        return False
