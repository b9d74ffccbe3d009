"""The studio window: the workspaces composed into one frame, docks around the training views,
redrawn from one timer through a snapshot router.

``MainWindow`` owns no run state (the run model does) and no view state (the views and their
models do): it builds each part, gives each the narrow callbacks it needs, and tells the parts
about one another's events.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from dcgan_studio.config import RunConfig
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import (
    FeatureMapSnapshot,
    FiltersSnapshot,
    GeneratorWeightsSnapshot,
    RealBatchSnapshot,
    SampleGridSnapshot,
)
from dcgan_studio.gui.data.chooser import DatasetChooser
from dcgan_studio.gui.dock_layout import DockLayout
from dcgan_studio.gui.frame import WindowFrame
from dcgan_studio.gui.inspect.inspector import NetworkInspector
from dcgan_studio.gui.latent.space import LatentSpace
from dcgan_studio.gui.menus import Menus
from dcgan_studio.gui.quality.jobs import QualityJobs
from dcgan_studio.gui.quality.model import QualityModel
from dcgan_studio.gui.quality.panel import QualityPanel
from dcgan_studio.gui.router import SnapshotRouter
from dcgan_studio.gui.runs.page import RunsPage
from dcgan_studio.gui.training.alert_banner import AlertBanner
from dcgan_studio.gui.training.controller import RunController
from dcgan_studio.gui.training.controls import TrainingControls
from dcgan_studio.gui.training.files import RunFiles
from dcgan_studio.gui.training.follow.banner import FollowBanner
from dcgan_studio.gui.training.follow.following import RunFollowing
from dcgan_studio.gui.training.jobs import RunReader, TrainingSession
from dcgan_studio.gui.training.loss_plot import LossPlotWidget
from dcgan_studio.gui.training.model import RunModel
from dcgan_studio.gui.training.sample_panel import SamplePanel
from dcgan_studio.gui.training.status_readouts import StatusReadouts, default_device
from dcgan_studio.gui.widgets.scrolling import scrolling
from dcgan_studio.gui.widgets.wheel_guard import guard_wheel
from dcgan_studio.gui.workspaces import WorkspaceTabs

log = logging.getLogger("dcgan_studio")
REDRAW_HZ = 25
# the line plots and the status bar redraw at most this often, however fast training logs (a GPU
# run can log 50 times a second): each redraw is GUI-thread time that training waits for
PLOT_INTERVAL = 0.5


class MainWindow:
    def __init__(self, frame: WindowFrame, runs_root: Path, log_path: str = "") -> None:
        self.frame, self.settings = frame, frame.settings
        self.run = RunModel(runs_root)
        self.session = TrainingSession(log_path, frame)
        self.reader = RunReader(frame)
        self._build_training()
        self.inspector = NetworkInspector(self.run.history, self.session.probe, frame)
        self.latent = LatentSpace(frame)
        self.data = DatasetChooser(self.controls.config, frame)
        self.router = SnapshotRouter()
        self._plots_due = 0.0  # time.monotonic() from which the line plots may redraw again
        self._plots_behind = None  # the newest scalars not yet drawn
        self._build_frame()
        self.menus = Menus(frame, self.docks, self._commands(), self._device)
        self._connect_run()
        self._connect_views()
        self._route_snapshots()
        # runs while a session does: an idle window wakes for nothing
        self.timer = QTimer(frame)
        self.timer.setInterval(1000 // REDRAW_HZ)
        self.timer.timeout.connect(self.redraw)
        self.dock_layout.restore(self.settings.value("windowState"))
        guard_wheel(frame)  # the wheel scrolls the panels; a field takes it once clicked into
        self.controls.set_state("idle")
        frame.statusBar().clearMessage()
        frame.set_content(self)

    @classmethod
    def create(cls, runs_root: Path, log_path: str = "", settings=None) -> MainWindow:
        """A new frame with the studio in it (the launcher builds into a frame on screen)."""
        return cls(WindowFrame(settings), runs_root, log_path)

    # ---- building -----------------------------------------------------------------------------
    def _build_training(self) -> None:
        frame = self.frame
        self.controls = TrainingControls()
        self.readouts = StatusReadouts(frame.statusBar())
        self.loss_plot = LossPlotWidget(self.run.history)
        self.sample_panel = SamplePanel(self.reader.read_grid)
        self.banner = AlertBanner()
        self.follow_banner = FollowBanner()
        self.quality = QualityModel()
        self.quality_panel = QualityPanel(self.quality)
        self.quality_jobs = QualityJobs(self.quality, self.run.show_alert, frame)
        self.controller = RunController(
            self.run, self.session, self.controls, self.readouts, self.say, frame
        )
        self.files = RunFiles(
            self.run, self.controls, self.sample_panel, self.reader, self.say, frame
        )
        self.following = RunFollowing(
            self.run,
            self.controls,
            self.sample_panel,
            self.follow_banner,
            self.quality,
            self.readouts,
            self.say,
            frame,
        )
        self._latent_behind: Path | None = None  # a followed run's checkpoint not yet shown

    def _build_frame(self) -> None:
        frame = self.frame
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.follow_banner)
        column.addWidget(self.banner)
        column.addWidget(self.sample_panel, 1)
        self.workspaces = WorkspaceTabs(frame, central, self._make_runs_page)
        frame.setCentralWidget(self.workspaces)
        views = {
            "controls": self.controls,
            "data": scrolling(self.data.panel, sideways=False),
            "losses": self.loss_plot,
            "gradients": self.inspector.gradients,
            "quality": scrolling(self.quality_panel, fill=True),
            "features": scrolling(self.inspector.feature_maps, fill=True),
            "architecture": scrolling(self.inspector.architecture),
            "filters": self.inspector.filters,
            "latent": scrolling(self.latent.view, fill=True),
        }
        self.dock_layout = DockLayout.of_views(frame, views)
        self.docks = self.dock_layout.docks

    def _commands(self) -> dict:
        """What the menus' actions do."""
        controller, files = self.controller, self.files
        return {
            "new": controller.forget,
            "open": files.ask_and_open,
            "follow": self.following.ask_and_follow,
            "stop_following": self.following.stop,
            "save_grid": lambda: files.ask_and_save_grid(False),
            "save_scored_grid": lambda: files.ask_and_save_grid(True),
            "export_csv": files.ask_and_export_csv,
            "export_generator": files.ask_and_export_generator,
            "start": controller.start,
            "pause": controller.toggle_pause,
            "stop": controller.stop,
            "step": lambda: controller.step("step"),
            "step_d": lambda: controller.step("step_d"),
            "step_g": lambda: controller.step("step_g"),
            "reset_layout": self.reset_layout,
            "branch": self.branch_from_here,
            "library": self.workspaces.show_runs,
        }

    def _device(self) -> str:
        return self.run.info.device if self.run.info else default_device()

    def _connect_run(self) -> None:
        run = self.run
        run.state_changed.connect(self.menus.set_state)
        self.menus.set_state(run.state)
        run.history_replaced.connect(self._on_history_replaced)
        run.alert_changed.connect(self.banner.show_alert)
        run.samples_reset.connect(self.sample_panel.set_run)
        run.run_opened.connect(self._on_run_opened)
        run.training_started.connect(self._on_training_started)
        run.training_ended.connect(self._on_training_ended)
        self.banner.dismissed.connect(run.dismiss_alert)
        run.follow_changed.connect(self._on_follow_changed)
        self.following.checkpoints_changed.connect(self.inspector.set_checkpoint_steps)
        self.following.checkpoint_landed.connect(self._on_checkpoint_landed)
        for event in (run.state_changed, run.run_opened, run.training_ended, run.follow_changed):
            event.connect(lambda *_: self._offer_branch())
        self.controls.branch_requested.connect(self.branch_from_here)

    def _connect_views(self) -> None:
        c = self.controls
        self.sample_panel.step_selected.connect(self.loss_plot.set_cursor)
        self.sample_panel.step_selected.connect(self._on_sample_step_selected)
        self.sample_panel.tile_clicked.connect(self._on_sample_tile_clicked)
        self.loss_plot.step_clicked.connect(self.sample_panel.select_step)
        self.sample_panel.step_selected.connect(self.quality_panel.set_cursor)
        self.quality_panel.step_clicked.connect(self.sample_panel.select_step)
        c.model_changed.connect(self._on_model_edited)
        c.dataset_changed.connect(self.data.set_dataset)
        self.data.dataset_chosen.connect(c.set_dataset)
        for part, ms in ((self.inspector, 8000), (self.latent, 8000), (self.data, 10000)):
            part.message.connect(lambda text, ms=ms: self.say(text, ms))
        self.inspector.layer_chosen.connect(self.docks["features"].raise_)
        self.docks["features"].visibilityChanged.connect(self.inspector.set_visible)
        self.docks["latent"].visibilityChanged.connect(self._on_latent_visibility_changed)
        self.latent.view.nearest_asked.connect(self._on_latent_nearest_asked)
        # brought to the front, the gradient norms are drawn from the history as it is now
        self.docks["gradients"].visibilityChanged.connect(
            lambda visible: visible and self.inspector.refresh_gradients()
        )
        self.inspector.set_model_config(c.model_config(), c.config().schedule.sample_count)

    def _route_snapshots(self) -> None:
        route = self.router.connect
        route(SampleGridSnapshot, self.sample_panel.show_grid)
        route(SampleGridSnapshot, lambda grid: self.latent.set_grid_vectors(grid.z))
        route(RealBatchSnapshot, self.sample_panel.show_real)
        route(GeneratorWeightsSnapshot, self._on_weights)
        route(GeneratorWeightsSnapshot, self.quality_jobs.offer)
        route(FeatureMapSnapshot, self.inspector.show_feature_maps)
        route(FiltersSnapshot, self.inspector.show_filters)

    # ---- helpers for the parts ----------------------------------------------------------------
    def say(self, text: str, msec: int = 0) -> None:
        """A line in the status bar (for ``msec`` ms; 0: until the next)."""
        self.frame.statusBar().showMessage(text, msec)

    def in_front(self, name: str) -> bool:
        """Whether a dock is on screen. A dock tabbed behind another stays ``isVisible()`` in
        Qt 6 (it is moved out of sight, not hidden), so what shows is its visible region."""
        dock = self.docks[name]
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    # ---- the run's events, told to the other parts --------------------------------------------
    def _on_history_replaced(self) -> None:
        self.loss_plot.refresh()
        if self.in_front("gradients"):  # else when it is brought to the front
            self.inspector.refresh_gradients()

    def _on_run_opened(self, run_dir: RunDirectory | None, config: RunConfig | None) -> None:
        """File > Open Run read a run (G of its newest checkpoint, where it stands), File > New
        Run forgot it, or Follow Run opened one: then its follower's whole checkpoints and its
        scores are what the views go by (its folder is not listed on the GUI thread)."""
        self.router.forget()  # a live session's snapshots are not this run's
        self._latent_behind = None
        followed = self.following.opening
        checkpoints = self.following.checkpoints if followed else None
        self.inspector.set_run(run_dir, config, checkpoints)
        self.quality_jobs.set_run(run_dir, config, read=not followed)
        if run_dir is None:
            self.readouts.clear()
            return
        self.latent.set_run(run_dir.root, config)
        if followed:
            latest = run_dir.checkpoint_path(checkpoints[-1]) if checkpoints else None
        else:
            latest = run_dir.latest_checkpoint()
        if latest is not None:
            self.latent.open_checkpoint(latest)
        done = self.run.shown_step
        self.readouts.show_stopped(done, config.schedule.iterations or done)

    def _on_training_started(self, run_dir: RunDirectory, config: RunConfig) -> None:
        self._latent_behind = None  # the session's G is what the latent space shows now
        self.inspector.set_run(run_dir, config)
        self.quality_jobs.set_run(run_dir, config)
        self.latent.set_run(run_dir.root, config)
        self.timer.start()
        self._show_training(True)

    def _on_training_ended(self) -> None:
        self.timer.stop()
        self.redraw(final=True)  # the last snapshots, drawn now
        self._show_training(False)
        weights = self.router.last(GeneratorWeightsSnapshot)
        if weights is not None:  # the run's last G is scored, however soon it ended
            self.quality_jobs.offer(weights, final=True)

    def _show_training(self, on: bool) -> None:
        """A session started or ended: the views show it live, or as it left the run."""
        if on:
            self.inspector.session_started()
        else:
            self.inspector.session_ended()
        self.sample_panel.set_training(on)
        self.latent.set_training(on)

    # ---- the redraw timer ---------------------------------------------------------------------
    def redraw(self, final: bool = False) -> None:
        """The newest snapshots: scalars into the history, the rest routed to their views."""
        scalars, latest = self.session.buffer.take()
        self.run.add_scalars(scalars)
        if scalars:
            self._plots_behind = scalars[-1]
        now = time.monotonic()
        if self._plots_behind is not None and (final or now >= self._plots_due):
            self._show_progress(self._plots_behind)
            self._plots_behind, self._plots_due = None, now + PLOT_INTERVAL
            self.loss_plot.refresh()
            if self.in_front("gradients"):
                self.inspector.refresh_gradients()
        self.router.route(latest)

    def _show_progress(self, snap) -> None:
        info = self.run.info
        total = info.total_iterations if info else snap.step
        self.readouts.show_progress(snap, total, info.batch_size if info else 1)
        if self.run.state == "paused":  # a step while paused: its numbers, but nothing runs
            self.readouts.show_paused()

    def _on_weights(self, weights: GeneratorWeightsSnapshot) -> None:
        if self.in_front("latent"):
            self.latent.show_weights(weights)

    # ---- looking inside -----------------------------------------------------------------------
    def _on_model_edited(self, model) -> None:
        if self.run.state == "idle" and self.run.opened_config is None:
            self.inspector.set_model_config(model)

    def _on_sample_step_selected(self, step: int) -> None:
        self.inspector.select_step(step, live=self.sample_panel.is_live())

    def _on_sample_tile_clicked(self, source: str, index: int) -> None:
        self.inspector.select_sample(source, index)
        image = self.sample_panel.tile_image(source, index)
        if image is not None and self.in_front("quality"):  # its nearest real images
            self.quality_jobs.find_nearest(f"{source} tile {index}", image)
        if source == "fake":
            self.latent.take_tile(index)
        if not self.in_front("latent"):  # exploring that tile's z, else look inside
            self.docks["features"].raise_()

    def _on_latent_nearest_asked(self, image) -> None:
        self.docks["quality"].raise_()
        generator = self.latent.model.generator
        step = f" of iteration {generator.step}" if generator is not None else ""
        self.quality_jobs.find_nearest(f"the latent image{step}", image)

    def _on_follow_changed(self, writer) -> None:
        self.menus.set_following(writer is not None)
        if writer is None:  # the opened run's folder is what the feature maps go by again
            self.inspector.set_checkpoint_steps(None)

    def _on_checkpoint_landed(self, path: Path) -> None:
        """A followed run saved a checkpoint: the feature maps and the latent space look at it
        (the latent space when it is in front, else once it is brought there)."""
        self.inspector.checkpoint_landed()
        if self.in_front("latent"):
            self._latent_behind = None
            self.latent.open_checkpoint(path)
        else:
            self._latent_behind = path

    def _on_latent_visibility_changed(self, visible: bool) -> None:
        """Brought to the front: a followed (or since opened) run's newest checkpoint that
        landed while it was hidden, or G as training left it (while it runs, or after it
        ended). Training, or opening another run, forgets such a checkpoint."""
        if visible and self._latent_behind is not None:
            path, self._latent_behind = self._latent_behind, None
            self.latent.open_checkpoint(path)
        weights = self.router.last(GeneratorWeightsSnapshot)
        if visible and weights is not None and self.latent.wants_weights(weights):
            self.latent.show_weights(weights)  # catch up with training

    # ---- the runs library ---------------------------------------------------------------------
    def _make_runs_page(self) -> RunsPage:
        return RunsPage(
            self.run.runs_root,
            self.settings,
            self._open_from_library,
            self._branch_chosen,
            self.say,
            self._on_run_deleted,
        )

    def _on_run_deleted(self, folder: Path) -> None:
        """A run deleted from the library: the Train tab forgets it if it had it open."""
        if (
            not self.run.running
            and self.run.run_dir is not None
            and self.run.run_dir.root == folder
        ):
            self.controller.forget()

    def _open_from_library(self, folder: Path) -> None:
        if self.run.running:
            self.say("Stop training first: the window shows one run at a time.", 8000)
            return
        self.workspaces.show_training()
        self.files.open_run(folder)

    def _branch_chosen(self, parent: Path, step: int, values: dict, label: str, config) -> None:
        if self.controller.branch(parent, step, values, label, config):
            self.workspaces.show_training()

    def _offer_branch(self) -> None:
        """The Branch button: for a run that is not training and has a checkpoint."""
        self.controls.branch_button.setEnabled(
            self.run.state == "idle" and self.run.continues and self.run.following is None
        )

    def branch_from_here(self) -> None:
        """Run > Branch from Here: the Branch dialog on the opened run, at the checkpoint of
        the grid on screen (or the newest before it)."""
        run_dir = self.run.run_dir
        if self.run.running or run_dir is None:
            self.say(
                "Open a run with a checkpoint first (File > Open Run, or the Runs tab), then "
                "Branch from Here.",
                8000,
            )
            return
        step = self.sample_panel.shown_step
        page = self.workspaces.runs
        page.jobs.summarise(run_dir.root, lambda summary: page.ask_branch(summary, step))

    # ---- what the command line asks of the window ---------------------------------------------
    def open_run(self, folder: Path) -> None:
        self.files.open_run(folder)

    def follow_run(self, folder: Path) -> None:
        """Show a run another process writes, as it lands (``--follow``)."""
        self.workspaces.show_training()
        self.following.follow(folder)

    def explore_checkpoint(self, path: Path) -> None:
        """Open the latent explorer on a checkpoint, without training (``--checkpoint``)."""
        self.workspaces.show_training()
        self.docks["latent"].show()
        self.docks["latent"].raise_()
        self.latent.open_checkpoint(path)

    # ---- layout -------------------------------------------------------------------------------
    def reset_layout(self) -> None:
        self.workspaces.show_training()
        self.dock_layout.apply_default()

    def _save_layout(self) -> None:
        self.settings.setValue("geometry", self.frame.saveGeometry())
        self.settings.setValue("windowState", self.workspaces.dock_state())
        self.settings.sync()

    # ---- the frame's events (FrameContent) ----------------------------------------------------
    def frame_shown(self) -> None:
        self.dock_layout.settle_soon()  # the docks' first layout on screen

    def frame_resized(self) -> None:
        self.dock_layout.window_resized()  # a smaller window narrows the docks, not the centre

    def close_requested(self) -> bool:
        """Training stops within one step and saves a checkpoint first, and exports of G are
        written; then everything that runs off the GUI thread ends, and the layout is kept."""
        if not self.controller.close_requested(self.frame.close):
            return False
        if self.reader.exporting:  # a generator being written: close once it is whole
            self.say("Closing once the generator is exported…")
            self.reader.when_exported(self.frame.close)
            return False
        self.timer.stop()
        self.sample_panel.play_button.setChecked(False)
        for part in (self.latent, self.workspaces, self.quality_jobs):  # a G on a worker: wait
            part.shutdown()
        for reader in (self.data, self.inspector, self.reader, self.following):  # ends alone
            reader.shutdown(timeout=0)
        self._save_layout()
        return True
