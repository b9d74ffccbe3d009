"""The studio window: docks of thin views around a training session, redrawn from one timer."""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path

import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio import __version__
from dcgan_studio.config import RunConfig
from dcgan_studio.core.alerts import NON_FINITE, Alert
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.launch import resume_run, start_run
from dcgan_studio.core.runs import RunDirectory, new_run_path
from dcgan_studio.core.snapshots import (
    GeneratorWeightsSnapshot,
    RealBatchSnapshot,
    SampleGridSnapshot,
    ScalarSnapshot,
    StatusSnapshot,
)
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.data.dataset_panel import DatasetPanel
from dcgan_studio.gui.dock_layout import BOTTOM, LEFT, RIGHT, DockLayout
from dcgan_studio.gui.frame import WindowFrame
from dcgan_studio.gui.inspect.inspector import NetworkInspector
from dcgan_studio.gui.latent.explorer import LatentExplorer
from dcgan_studio.gui.training.alert_banner import AlertBanner
from dcgan_studio.gui.training.controls import TrainingControls
from dcgan_studio.gui.training.loss_plot import LossPlotWidget
from dcgan_studio.gui.training.run_files import RunFileActions
from dcgan_studio.gui.training.sample_panel import SamplePanel
from dcgan_studio.gui.training.session import SessionInfo, TrainingSession
from dcgan_studio.gui.training.status_readouts import StatusReadouts, default_device
from dcgan_studio.gui.widgets.scrolling import scrolling
from dcgan_studio.gui.widgets.wheel_guard import guard_wheel
from dcgan_studio.gui.workspaces import WorkspaceTabs

WRITE_FAILED = "write_failed"  # the banner's kind for a run folder that could not be written

log = logging.getLogger("dcgan_studio")
REDRAW_HZ = 25
# the line plots and the status bar redraw at most this often, however fast training logs (a GPU
# run can log 50 times a second): each redraw is GUI-thread time that training waits for
PLOT_INTERVAL = 0.5
# the docks of the training workspace: name -> (title, area), and the tab groups (first in front)
DOCKS = {
    "controls": ("Training", LEFT),
    "data": ("Data", LEFT),
    "losses": ("Losses and D's output", BOTTOM),
    "gradients": ("Gradients", BOTTOM),
    "features": ("Feature maps", RIGHT),
    "architecture": ("Architecture", RIGHT),
    "filters": ("Filters", RIGHT),
    "latent": ("Latent space", RIGHT),
}
DOCK_GROUPS = [
    ["controls", "data"],
    ["losses", "gradients"],
    ["features", "architecture", "filters", "latent"],
]


class MainWindow(RunFileActions, WindowFrame):
    def __init__(
        self, runs_root: Path, log_path: str = "", settings: QSettings | None = None
    ) -> None:
        super().__init__(settings)
        self._build_views(runs_root, log_path)

    @classmethod
    def adopt(cls, frame: WindowFrame, runs_root: Path, log_path: str = "") -> MainWindow:
        """Build the views into a frame already on screen (``gui.frame``): the frame becomes
        the main window in place, keeping its place, size and settings. Python lets an object
        change class when the layouts match, as here (a subclass that only adds methods); the
        Qt window underneath is the same one, so nothing on screen is replaced."""
        frame.__class__ = cls
        frame._build_views(runs_root, log_path)
        return frame

    def _build_views(self, runs_root: Path, log_path: str) -> None:
        self.runs_root = Path(runs_root)
        self.log_path = log_path
        self.session = TrainingSession(log_path, self)
        self.history = LossHistory()
        self.run_dir: RunDirectory | None = None
        self.opened_config: RunConfig | None = None  # a run opened to view or continue
        self.info: SessionInfo | None = None
        self.state = "idle"
        self.last_error: str | None = None
        self._close_when_stopped = False
        self._rate: tuple[float, int] | None = None

        self.controls = TrainingControls()
        self.loss_plot = LossPlotWidget(self.history)
        self.sample_panel = SamplePanel()
        self.banner = AlertBanner()
        self.inspector = NetworkInspector(self.session, self.history, self)
        self.explorer = LatentExplorer()
        self.data_panel = DatasetPanel()
        self.data_panel.config_provider = self.controls.config
        self._weights: GeneratorWeightsSnapshot | None = None  # newest G for the explorer
        self._plots_due = 0.0  # time.monotonic() from which the line plots may redraw again
        self._plots_behind: ScalarSnapshot | None = None  # newest scalars not yet drawn
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.banner)
        column.addWidget(self.sample_panel, 1)
        self.workspaces = WorkspaceTabs(self, central)
        self.setCentralWidget(self.workspaces)
        views = {
            "controls": self.controls,
            "data": scrolling(self.data_panel, sideways=False),
            "losses": self.loss_plot,
            "gradients": self.inspector.gradients,
            "features": scrolling(self.inspector.feature_maps, fill=True),
            "architecture": scrolling(self.inspector.architecture),
            "filters": self.inspector.filters,
            "latent": scrolling(self.explorer, fill=True),
        }
        self.docks = {
            name: self._dock(title, f"{name}-dock", views[name])
            for name, (title, _) in DOCKS.items()
        }
        # the right-hand views run the full height: feature maps need it more than the plots
        self.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
        self.setCorner(Qt.Corner.TopRightCorner, RIGHT)
        self.dock_layout = DockLayout(
            self, self.docks, {name: area for name, (_, area) in DOCKS.items()}, DOCK_GROUPS
        )
        self.readouts = StatusReadouts(self.statusBar())
        self.status_labels = self.readouts.labels
        self._build_menus()
        self._connect()
        # runs while a session does: an idle window wakes for nothing
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // REDRAW_HZ)
        self.timer.timeout.connect(self._on_timer_redraw)
        self.dock_layout.restore(self.settings.value("windowState"))
        guard_wheel(self)  # the wheel scrolls the panels; a field takes it once clicked into
        self._set_state("idle")
        self.statusBar().clearMessage()
        self.views_built = True

    # ---- building -----------------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        return dock

    def _in_front(self, name: str) -> bool:
        """Whether a dock is on screen. A dock tabbed behind another stays ``isVisible()`` in
        Qt 6 (it is moved out of sight, not hidden), so what shows is its visible region."""
        dock = self.docks[name]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        self.new_action = self._action(
            file,
            "&New Run",
            self._on_new_run_requested,
            QKeySequence.StandardKey.New,
            "Forget the opened run: Start begins a new one.",
        )
        self.open_action = self._action(
            file,
            "&Open Run…",
            self._on_open_run_requested,
            QKeySequence.StandardKey.Open,
            "View a saved run, or continue it with Start.",
        )
        self.save_grid_action = self._action(
            file,
            "&Save Grid…",
            lambda: self._on_save_grid_requested(False),
            QKeySequence.StandardKey.Save,
            "Save G's images of the grid on screen as a PNG, with a JSON sidecar (D's scores in "
            "it).",
        )
        self.save_scored_grid_action = self._action(
            file,
            "Save Grid with &D's Opinion…",
            lambda: self._on_save_grid_requested(True),
            None,
            "Save the grid with D's bars under the tiles, as the window shows them.",
        )
        self.export_csv_action = self._action(
            file,
            "&Export Losses as CSV…",
            self._on_export_csv_requested,
            None,
            "Write the loss history to a CSV file.",
        )
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        run = menus.addMenu("&Run")
        self.start_action = self._action(run, "&Start", self._on_start_requested, "Ctrl+Return")
        self.pause_action = self._action(
            run, "&Pause / Resume", self._on_pause_toggled, Qt.Key.Key_Space
        )
        self.stop_action = self._action(run, "S&top", self._on_stop_requested, "Ctrl+.")
        run.addSeparator()
        self._action(run, "Step &once", lambda: self._on_step_requested("step"), "Ctrl+Right")
        self._action(run, "Step &D only", lambda: self._on_step_requested("step_d"), "Ctrl+D")
        self._action(run, "Step &G only", lambda: self._on_step_requested("step_g"), "Ctrl+G")
        view = menus.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self.reset_layout_action = self._action(
            view,
            "&Reset Layout",
            self._reset_layout,
            None,
            "Every panel back in its place and size, as on the first launch.",
        )
        self.reset_layout_action.setObjectName("reset-layout-action")
        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "&About DCGAN Studio", self._on_about_requested)

    def _connect(self) -> None:
        c = self.controls
        c.start_requested.connect(self._on_start_requested)
        c.pause_toggled.connect(self._on_pause_toggled)
        c.stop_requested.connect(self._on_stop_requested)
        c.step_requested.connect(self._on_step_requested)
        c.learning_rate_changed.connect(self.session.set_lr)
        self.session.ready.connect(self._on_session_ready)
        self.session.status_changed.connect(self._on_session_status)
        self.session.alerts_changed.connect(self._on_alerts_changed)
        self.session.errored.connect(self._on_session_errored)
        self.session.finished.connect(self._on_session_finished)
        self.sample_panel.step_selected.connect(self.loss_plot.set_cursor)
        self.sample_panel.step_selected.connect(self._on_sample_step_selected)
        self.sample_panel.tile_clicked.connect(self._on_sample_tile_clicked)
        self.loss_plot.step_clicked.connect(self.sample_panel.select_step)
        c.model_changed.connect(self._on_model_edited)
        self.inspector.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.inspector.layer_chosen.connect(self.docks["features"].raise_)
        self.docks["features"].visibilityChanged.connect(self.inspector.set_visible)
        self.docks["latent"].visibilityChanged.connect(self._on_latent_visibility_changed)
        # brought to the front, the gradient norms are drawn from the history as it is now
        self.docks["gradients"].visibilityChanged.connect(
            lambda visible: visible and self.inspector.gradients.refresh()
        )
        self.explorer.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.data_panel.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.data_panel.dataset_chosen.connect(c.set_dataset)
        c.editors["data.dataset"].currentIndexChanged.connect(
            lambda _: self.data_panel.set_dataset(
                c.editors["data.dataset"].currentData(), c.data_root
            )
        )
        self.inspector.set_model_config(c.model_config(), c.config().schedule.sample_count)

    # ---- layout persistence -------------------------------------------------------------------
    def _reset_layout(self) -> None:
        self.workspaces.show_training()
        self.dock_layout.apply_default()

    def _save_layout(self) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.workspaces.dock_state())
        self.settings.sync()

    # ---- run control --------------------------------------------------------------------------
    def _on_start_requested(self) -> None:
        if self.session.running:
            return
        try:
            config = self.controls.config(self.opened_config)
        except ConfigError:
            self.statusBar().showMessage("Fix the setting shown in red, then Start.", 8000)
            return
        resume = None
        if self.run_dir is not None and self.opened_config is not None:
            resume = self.run_dir
        else:
            self.run_dir = RunDirectory(new_run_path(self.runs_root))
            self.history.clear()
            self.sample_panel.set_run(self.run_dir)
        self.banner.hide()
        run_dir = self.run_dir
        self.inspector.set_run(run_dir, config)
        self.explorer.set_run(run_dir.root, config)
        self.info = None  # until the new session's trainer is built
        self.session.start(lambda commands: _make_trainer(config, run_dir, resume, commands))
        self.timer.start()
        self.inspector.session_started()
        self.sample_panel.set_training(True)
        self.explorer.set_training(True)
        self._set_state("starting")
        self.statusBar().showMessage("Loading data and building the networks…")

    def _on_new_run_requested(self) -> None:
        self.run_dir, self.opened_config, self._weights = None, None, None
        self.history.clear()
        self.loss_plot.refresh()
        self.inspector.gradients.refresh()
        self.sample_panel.set_run(None)
        self.inspector.set_run(None)
        self.banner.hide()
        self.readouts.clear()
        self.statusBar().showMessage("Start begins a new run with these settings.", 6000)

    def _on_pause_toggled(self) -> None:
        if self.state == "running":
            self.session.pause()
        elif self.state == "paused":
            self.session.resume()

    def _on_stop_requested(self) -> None:
        if self.session.running:
            self.session.stop()
            self._set_state("stopping")
            self.statusBar().showMessage("Stopping after this step and saving a checkpoint…")

    def _on_step_requested(self, kind: str) -> None:
        if self.state in ("running", "paused"):
            self.session.step(kind)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.controls.set_state(state)
        running = state in ("running", "paused")
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)
        self.start_action.setEnabled(state == "idle")
        self.open_action.setEnabled(state == "idle")
        self.new_action.setEnabled(state == "idle")

    # ---- session events -----------------------------------------------------------------------
    def _on_session_ready(self, info: SessionInfo) -> None:
        self.info = info
        self.readouts.show_session(info.device, info.precision)
        self.opened_config = None  # from now on the run is the live one

    def _on_session_status(self, status: StatusSnapshot) -> None:
        if status.state in ("running", "paused"):
            self._set_state(status.state)
        if status.state == "running" and self.banner.kind == WRITE_FAILED:
            self.banner.hide()  # resumed: the write is tried again
        if status.state == "paused":
            self.readouts.show_paused()
        self.statusBar().showMessage(status.message, 10000)
        if status.problem == "diverged":
            self.banner.show_alert(
                Alert(
                    NON_FINITE,
                    status.step,
                    "Training diverged",
                    status.message,
                    "Try: lower both learning rates, or use fp32 precision; then Start continues "
                    "from the last good checkpoint.",
                    "error",
                )
            )
        elif status.problem == "write":
            self.banner.show_alert(
                Alert(
                    WRITE_FAILED,
                    status.step,
                    "Could not write to the run folder",
                    status.message,
                    "Try: free space on the disk or fix the folder's permissions; then Resume "
                    "(or Start) continues.",
                    "error",
                )
            )

    def _on_session_errored(self, message: str, field: str) -> None:
        self.last_error = message
        if field in self.controls.editors:  # a setting that does not fit: say so at the control
            self.controls.show_error(field, message)
            self.statusBar().showMessage("Fix the setting shown in red, then Start.", 8000)
            return
        started = self.info is not None  # the trainer was built: it stopped on the way
        title = "Training stopped" if started else "Training could not start"
        self.statusBar().showMessage(f"{title}: {message}")  # not "Loading data…" any more
        box = QMessageBox(
            QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("error-dialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_session_finished(self) -> None:
        self.timer.stop()
        self._on_timer_redraw(final=True)  # the last snapshots, drawn now
        self.inspector.session_ended()
        self.sample_panel.set_training(False)
        self.explorer.set_training(False)
        self._set_state("idle")
        if len(self.history):
            self.readouts.show_stopped(
                int(self.history.column("step")[-1]), self.info.total_iterations if self.info else 0
            )
        else:
            self.readouts.show_stopped()
        if self.run_dir is not None and self.run_dir.latest_checkpoint() is not None:
            self.opened_config = self.run_dir.read_config()  # Start continues it
        if self._close_when_stopped:
            self.close()

    # ---- the redraw timer ---------------------------------------------------------------------
    def _on_timer_redraw(self, final: bool = False) -> None:
        scalars, latest = self.session.buffer.take()
        if scalars:
            self.history.extend(scalars)
            self._plots_behind = scalars[-1]
        now = time.monotonic()
        if self._plots_behind is not None and (final or now >= self._plots_due):
            self._update_status(self._plots_behind)
            self._plots_behind, self._plots_due = None, now + PLOT_INTERVAL
            self.loss_plot.refresh()
            if self._in_front("gradients"):
                self.inspector.gradients.refresh()
        real = latest.get(RealBatchSnapshot)
        grid = latest.get(SampleGridSnapshot)
        if grid is not None or real is not None:
            self.sample_panel.show_live(grid, real)
        if grid is not None and grid.z is not None:
            self.explorer.set_grid_vectors(grid.z)
        weights = latest.get(GeneratorWeightsSnapshot)
        if weights is not None:
            self._weights = weights
            if self._in_front("latent"):
                self.explorer.show_weights(weights)
        self.inspector.show_live(latest)

    # ---- looking inside ----------------------------------------------------------------------
    def _on_model_edited(self, model) -> None:
        if self.state == "idle" and self.opened_config is None:
            self.inspector.set_model_config(model)

    def _on_sample_step_selected(self, step: int) -> None:
        self.inspector.select_step(step, live=self.sample_panel.is_live())

    def _on_sample_tile_clicked(self, source: str, index: int) -> None:
        self.inspector.feature_maps.select_sample(source, index)
        if source == "fake":
            self.explorer.take_tile(index)
        if not self._in_front("latent"):  # exploring that tile's z, else look inside
            self.docks["features"].raise_()

    def _on_latent_visibility_changed(self, visible: bool) -> None:
        """Brought to the front: G as training left it (while it runs, or after it ended)."""
        renderer = self.explorer.renderer
        if (
            visible
            and self._weights is not None
            and (renderer is None or renderer.source or renderer.step != self._weights.step)
        ):
            self.explorer.show_weights(self._weights)  # catch up with training

    def explore_checkpoint(self, path: Path) -> None:
        """Open the latent explorer on a checkpoint, without training (``--checkpoint``)."""
        self.workspaces.show_training()
        self.docks["latent"].show()
        self.docks["latent"].raise_()
        self.explorer.open_checkpoint(path)

    def _on_alerts_changed(self, snap) -> None:
        """The engine's alerts: a new one shows in the banner; one that cleared hides it."""
        if snap.raised is not None:
            self.banner.show_alert(snap.raised)
            if snap.raised.severity == "error" and self.state == "running":
                self.session.pause()
        elif (
            self.banner.isVisible()
            and self.banner.kind not in (NON_FINITE, WRITE_FAILED)
            and self.banner.kind not in snap.active
        ):
            self.banner.hide()

    def _update_status(self, snap) -> None:
        total = self.info.total_iterations if self.info else snap.step
        self.readouts.show_progress(snap, total, self.info.batch_size if self.info else 1)
        if self.state == "paused":  # a step while paused: its numbers, but nothing runs
            self.readouts.show_paused()

    def _on_about_requested(self) -> None:
        device = self.info.device if self.info else default_device()
        QMessageBox.about(
            self,
            "About DCGAN Studio",
            (
                f"<b>DCGAN Studio {__version__}</b><br>Train a DCGAN and watch it learn.<br><br>"
                f"torch {torch.__version__}<br>PySide6 (Qt) {pyside_version}<br>"
                f"Python {platform.python_version()}<br>device: {device}"
            ),
        )

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.dock_layout.settle_soon()  # the docks' first layout on screen

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.views_built:  # a smaller window narrows the docks, not the centre
            self.dock_layout.window_resized()

    # ---- closing ------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.running:
            # stop within one step, save a checkpoint, then close for real
            self._close_when_stopped = True
            self._on_stop_requested()
            event.ignore()
            return
        self.timer.stop()
        self.sample_panel.play_timer.stop()
        self.explorer.shutdown()
        self.workspaces.shutdown()
        self.data_panel.cancel_pending()
        self._save_layout()
        event.accept()


def _make_trainer(
    config: RunConfig, run_dir: RunDirectory, resume: RunDirectory | None, commands: CommandQueue
) -> Trainer:
    """Runs on the worker thread: data loading and model building stay off the GUI thread."""
    if resume is not None:
        trainer = resume_run(
            config,
            resume,
            commands,
            how_to_extend="raise Iterations to continue it, or choose File > New Run",
        )
    else:
        trainer = start_run(config, run_dir.root, commands)
    trainer.pause_on_write_error = True  # the person frees space and resumes; nothing is lost
    return trainer
