"""A training session: the engine in a QThread worker, snapshots out through a latest-wins buffer.

The worker builds the Trainer in its own thread (loading data and moving models to the device
never block the window), iterates ``Trainer.run()`` and puts every snapshot into a
``SnapshotBuffer``. The window empties that buffer from one QTimer; only rare events (status
changes, errors, the end) travel as signals. Commands go back through the trainer's queue.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.snapshots import (
    AlertSnapshot,
    ProbeRequest,
    ScalarSnapshot,
    Snapshot,
    StatusSnapshot,
)
from dcgan_studio.errors import ConfigError, StudioError
from dcgan_studio.gui.wording import in_window_words

log = logging.getLogger("dcgan_studio")


class SnapshotBuffer:
    """Thread-safe: scalars are all kept (appended), every other kind keeps only its latest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scalars: list[ScalarSnapshot] = []
        self._latest: dict[type, Snapshot] = {}

    def put(self, snap: Snapshot) -> None:
        with self._lock:
            if isinstance(snap, ScalarSnapshot):
                self._scalars.append(snap)
            else:
                self._latest[type(snap)] = snap

    def take(self) -> tuple[list[ScalarSnapshot], dict[type, Snapshot]]:
        with self._lock:
            scalars, latest = self._scalars, self._latest
            self._scalars, self._latest = [], {}
        return scalars, latest


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


class TrainingWorker(QObject):
    ready = Signal(object)  # SessionInfo
    status_changed = Signal(object)  # StatusSnapshot
    alerts_changed = Signal(object)  # AlertSnapshot: each one counts, none may be dropped
    errored = Signal(str, str)  # one line for a person (traceback in the log); config field or ""
    finished = Signal()

    def __init__(
        self,
        make_trainer: Callable[[CommandQueue], Trainer],
        commands: CommandQueue,
        buffer: SnapshotBuffer,
        log_path: str,
    ) -> None:
        super().__init__()
        self._make_trainer, self._commands, self._buffer = make_trainer, commands, buffer
        self._log_path = log_path

    @Slot()
    def work(self) -> None:
        try:
            trainer = self._make_trainer(self._commands)
            self.ready.emit(
                SessionInfo(
                    str(trainer.device),
                    trainer.precision.reason,
                    trainer.total_iterations,
                    trainer.step,
                    trainer.sampler.batches_per_epoch,
                    trainer.config.optim.batch_size,
                    None if trainer.run_dir is None else str(trainer.run_dir.root),
                )
            )
            for snap in trainer.run():
                if isinstance(snap, AlertSnapshot):
                    self.alerts_changed.emit(snap)
                    continue
                self._buffer.put(snap)
                if isinstance(snap, StatusSnapshot):  # its advice in the window's words
                    self.status_changed.emit(
                        dataclasses.replace(snap, message=in_window_words(snap.message))
                    )
        except ConfigError as exc:
            self.errored.emit(in_window_words(str(exc)), exc.field)
        except StudioError as exc:
            self.errored.emit(in_window_words(str(exc)), "")
        except Exception as exc:  # a bug: one line for the person, the traceback to the log
            log.exception("training worker failed")
            self.errored.emit(
                f"Training stopped on an unexpected {type(exc).__name__}: {exc}. "
                f"Details are in the log file {self._log_path}",
                "",
            )
        finally:
            self.finished.emit()


class TrainingSession(QObject):
    """Starts and stops one worker thread at a time; forwards commands to the engine."""

    ready = Signal(object)
    status_changed = Signal(object)
    alerts_changed = Signal(object)
    errored = Signal(str, str)
    finished = Signal()

    def __init__(self, log_path: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.buffer = SnapshotBuffer()
        self.commands = CommandQueue()
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._log_path = log_path

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, make_trainer: Callable[[CommandQueue], Trainer]) -> None:
        if self.running:
            raise RuntimeError("a session is already running")
        self.buffer = SnapshotBuffer()
        self.commands = CommandQueue()
        thread = QThread()
        thread.setObjectName("dcgan-training")
        worker = TrainingWorker(make_trainer, self.commands, self.buffer, self._log_path)
        worker.moveToThread(thread)
        thread.started.connect(worker.work)
        worker.ready.connect(self.ready)
        worker.status_changed.connect(self.status_changed)
        worker.alerts_changed.connect(self.alerts_changed)
        worker.errored.connect(self.errored)
        # direct: QThread.quit is thread-safe, and a GUI thread blocked in shutdown()'s wait()
        # could never run a queued one
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        if thread is None:  # already handled by shutdown()
            return
        self._thread = self._worker = None
        thread.wait()
        worker.deleteLater()
        thread.deleteLater()
        self.finished.emit()

    # commands: safe from the GUI thread at any time
    def pause(self) -> None:
        self.commands.pause()

    def resume(self) -> None:
        self.commands.resume()

    def stop(self) -> None:
        self.commands.stop()

    def step(self, kind: str) -> None:
        self.commands.step(kind)

    def set_lr(self, network: str, value: float) -> None:
        self.commands.set_lr(network, value)

    def probe(self, request: ProbeRequest | None) -> None:
        self.commands.probe(request)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop and wait (used when the application quits); True when the thread ended."""
        if self._thread is None:
            return True
        self.stop()
        ended = self._thread.wait(timeout_ms)
        if ended:
            self._on_thread_finished()
        return ended
