"""The run the window shows, Qt-free: its lifecycle, its folder, its history and its alert.

States: idle -> starting (the trainer is being built) -> running <-> paused -> stopping -> idle.
A run is new (Start makes a folder), opened (File > Open Run: viewed, and continued by Start when
it has a checkpoint), followed (File > Follow Run: opened, and read again as another process
writes it; read-only) or live (a session trains it). The views subscribe to the events; the
controller changes the model from the person's commands and the session's reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dcgan_studio.config import RunConfig
from dcgan_studio.core.alerts import NON_FINITE, Alert
from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.runs import RunDirectory, new_run_path
from dcgan_studio.core.snapshots import AlertSnapshot, ScalarSnapshot, StatusSnapshot
from dcgan_studio.gui.events import Event

STATES = ("idle", "starting", "running", "paused", "stopping")
WRITE_FAILED = "write_failed"  # the alert's kind for a run folder that could not be written
SESSION_ALERTS = (NON_FINITE, WRITE_FAILED)  # said by the session's status, not the monitor


@dataclass(frozen=True)
class SessionInfo:
    """What the window shows about a session once its trainer exists."""

    device: str
    precision: str
    total_iterations: int
    start_step: int
    batches_per_epoch: int
    batch_size: int
    run_dir: str | None


def status_alert(status: StatusSnapshot) -> Alert | None:
    """The banner for a run the engine stopped or paused on a problem, with what to try."""
    if status.problem == "diverged":
        return Alert(
            NON_FINITE,
            status.step,
            "Training diverged",
            status.message,
            "Try: lower both learning rates, or use fp32 precision; then Start continues from "
            "the last good checkpoint.",
            "error",
        )
    if status.problem == "write":
        return Alert(
            WRITE_FAILED,
            status.step,
            "Could not write to the run folder",
            status.message,
            "Try: free space on the disk or fix the folder's permissions; then Resume (or "
            "Start) continues.",
            "error",
        )
    return None


class RunModel:
    def __init__(self, runs_root: Path) -> None:
        self.runs_root = Path(runs_root)
        self.state = "idle"
        self.run_dir: RunDirectory | None = None
        self.opened_config: RunConfig | None = None  # a run opened to view or continue
        self.info: SessionInfo | None = None  # the live session's, once its trainer exists
        self.history = LossHistory()
        self.alert: Alert | None = None  # the banner's, None when it is hidden
        self.last_error: str | None = None
        self.state_changed = Event()  # (state)
        self.following = None  # the followed run's writer (core.follow.WriterStatus), or None
        self.history_replaced = Event()  # () cleared, read from an opened run, or grown by one
        self.follow_changed = Event()  # (WriterStatus or None) following began, moved or ended
        self.alert_changed = Event()  # (alert or None)
        self.samples_reset = Event()  # (run_dir or None, saved grid steps): another run's grids
        self.run_opened = Event()  # (run_dir or None, config or None): opened, or forgotten
        self.training_started = Event()  # (run_dir, config) the session is on its way
        self.training_ended = Event()  # ()

    # ---- lifecycle ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """A session trains (or is about to, or is paused)."""
        return self.state != "idle"

    @property
    def continues(self) -> bool:
        """Start continues the opened (or last) run rather than making a new one."""
        return self.run_dir is not None and self.opened_config is not None

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def begin(self) -> tuple[RunDirectory, bool]:
        """Start: (the run folder, whether it continues the opened run); a new run has a new
        folder and an empty history."""
        resume = self.continues
        self.set_following(None)
        if not resume:
            self.run_dir = RunDirectory(new_run_path(self.runs_root))
            self.clear_history()
            self.samples_reset.emit(self.run_dir, [])
        self.info = None  # until the new session's trainer is built
        self.show_alert(None)
        return self.run_dir, resume

    def begin_branch(self) -> RunDirectory:
        """A branch: a new run folder, which the session fills from the parent's checkpoint."""
        self.run_dir, self.opened_config = RunDirectory(new_run_path(self.runs_root)), None
        self.set_following(None)
        self.clear_history()
        self.samples_reset.emit(self.run_dir, [])
        self.info = None
        self.show_alert(None)
        return self.run_dir

    def started(self, config: RunConfig) -> None:
        """The session is on its way with ``config``."""
        self.training_started.emit(self.run_dir, config)
        self.set_state("starting")

    def forget(self) -> None:
        """File > New Run: no run; Start makes a new one."""
        self.run_dir, self.opened_config, self.info = None, None, None
        self.set_following(None)
        self.clear_history()
        self.show_alert(None)
        self.samples_reset.emit(None, [])
        self.run_opened.emit(None, None)

    def open(
        self, run: RunDirectory, config: RunConfig, metrics: list[dict], steps: list[int]
    ) -> None:
        """A run read from its folder, shown; ``settle_opened`` then says whether Start
        continues it."""
        self.info = None
        self.run_dir, self.opened_config = run, config
        self.set_following(None)  # another run (or the same, opened to continue it)
        self.history.clear()
        self.history.extend(metrics)
        self.history_replaced.emit()
        self.samples_reset.emit(run, steps)
        self.run_opened.emit(run, config)

    # ---- a run another process writes ----------------------------------------------------------
    def set_following(self, writer) -> None:
        """Following the opened run, its writer as it stands now (None: not following)."""
        if writer != self.following:
            self.following = writer
            self.follow_changed.emit(writer)

    def add_records(self, records: list[dict], replaced: bool) -> None:
        """Metrics lines that landed in a followed run (``replaced``: the whole file again)."""
        if replaced:
            self.history.clear()
        self.history.extend(records)
        if replaced or records:
            self.history_replaced.emit()

    def settle_opened(self, has_checkpoint: bool | None = None) -> bool:
        """True when Start continues the opened run; a run without a checkpoint is only viewed
        (Start makes a new run). ``has_checkpoint``: whether it has one, where that is known
        already (a followed run's follower read its folder off the GUI thread); else its
        folder is looked at."""
        if self.run_dir is not None:
            if has_checkpoint is None:
                has_checkpoint = self.run_dir.latest_checkpoint() is not None
            if not has_checkpoint:
                self.run_dir, self.opened_config = None, None
        return self.continues

    def ready(self, info: SessionInfo) -> None:
        """The session's trainer exists: from now on the run is the live one."""
        self.info = info
        self.opened_config = None

    def finished(self) -> None:
        """The session ended; Start continues the run when it left a checkpoint."""
        self.training_ended.emit()
        if self.run_dir is not None and self.run_dir.latest_checkpoint() is not None:
            self.opened_config = self.run_dir.read_config()
        self.set_state("idle")  # Start (and Branch) now know whether they continue it

    @property
    def shown_step(self) -> int:
        """The newest step in the history (0 before any)."""
        return int(self.history.column("step")[-1]) if len(self.history) else 0

    @property
    def total_iterations(self) -> int | None:
        return self.info.total_iterations if self.info else None

    # ---- what the session reports -------------------------------------------------------------
    def add_scalars(self, scalars: list[ScalarSnapshot]) -> None:
        """Rows a session logged (the window's redraw timer paces the plots of them)."""
        self.history.extend(scalars)

    def clear_history(self) -> None:
        self.history.clear()
        self.history_replaced.emit()

    def status(self, status: StatusSnapshot) -> None:
        if status.state in ("running", "paused"):
            self.set_state(status.state)
        if status.state == "running" and self.alert is not None and self.alert.kind == WRITE_FAILED:
            self.show_alert(None)  # resumed: the write is tried again
        alert = status_alert(status)
        if alert is not None:
            self.show_alert(alert)

    def alerts(self, snap: AlertSnapshot) -> None:
        """The engine's alerts: a new one shows; one that cleared hides it."""
        if snap.raised is not None:
            self.show_alert(snap.raised)
        elif (
            self.alert is not None
            and self.alert.kind not in SESSION_ALERTS
            and self.alert.kind not in snap.active
        ):
            self.show_alert(None)

    def show_alert(self, alert: Alert | None) -> None:
        if alert is not self.alert:
            self.alert = alert
            self.alert_changed.emit(alert)

    def dismiss_alert(self) -> None:
        """The person hid the banner: it comes back if the sign returns."""
        self.show_alert(None)
