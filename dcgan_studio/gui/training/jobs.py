"""What the training workspace runs off the GUI thread: the training session, and reading a run
folder to open it.

The session is one long job on its own worker: it builds the Trainer there (loading data and
moving models to the device never block the window), iterates ``Trainer.run()`` and puts every
snapshot into a ``SnapshotBuffer``, which the window empties from its redraw timer; only rare
events (ready, status, alerts) are yielded to the GUI thread, then an error if any, then finished.
Commands go back through the trainer's queue.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import RunConfig
from dcgan_studio.core.branching import start_branch
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import resume_run, start_run
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import (
    AlertSnapshot,
    ProbeRequest,
    ScalarSnapshot,
    Snapshot,
    StatusSnapshot,
)
from dcgan_studio.errors import ConfigError, StudioError
from dcgan_studio.gui.training.model import SessionInfo
from dcgan_studio.gui.wording import in_window_words
from dcgan_studio.gui.workers import Worker

HOW_TO_EXTEND = "raise Iterations to continue it, or choose File > New Run"


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


def make_trainer(
    config: RunConfig, run_dir: RunDirectory, resume: bool, commands: CommandQueue
) -> Trainer:
    """Runs on the session's thread: start ``run_dir`` afresh or continue it."""
    if resume:
        trainer = resume_run(config, run_dir, commands, how_to_extend=HOW_TO_EXTEND)
    else:
        trainer = start_run(config, run_dir.root, commands)
    trainer.pause_on_write_error = True  # the person frees space and resumes; nothing is lost
    return trainer


def make_branch_trainer(
    parent: Path, step: int, values: dict, label: str, run_dir: RunDirectory, commands: CommandQueue
) -> Trainer:
    """Runs on the session's thread: a new run in ``run_dir``, branched from ``parent``'s
    checkpoint of ``step`` with ``values`` changed."""
    trainer = start_branch(
        parent,
        step,
        values,
        run_dir.root,
        commands,
        label=label,
        how_to_extend="give it more iterations (or epochs) in the Branch dialog",
    )
    trainer.pause_on_write_error = True
    return trainer


def session_info(trainer: Trainer) -> SessionInfo:
    return SessionInfo(
        str(trainer.device),
        trainer.precision.reason,
        trainer.total_iterations,
        trainer.step,
        trainer.sampler.batches_per_epoch,
        trainer.config.optim.batch_size,
        None if trainer.run_dir is None else str(trainer.run_dir.root),
    )


class TrainingSession(QObject):
    """One training job at a time on the ``dcgan-training`` worker; forwards commands."""

    ready = Signal(object)  # SessionInfo
    status_changed = Signal(object)  # StatusSnapshot, its advice in the window's words
    alerts_changed = Signal(object)  # AlertSnapshot: each one counts, none may be dropped
    errored = Signal(str, str)  # one line for a person (traceback in the log); config field or ""
    finished = Signal()

    def __init__(self, log_path: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.buffer = SnapshotBuffer()
        self.commands = CommandQueue()
        self._worker = Worker("dcgan-training", self)
        self._log_path = log_path
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self, make: Callable[[CommandQueue], Trainer]) -> None:
        if self._running:
            raise RuntimeError("a session is already running")
        self.buffer, self.commands = SnapshotBuffer(), CommandQueue()
        buffer, commands = self.buffer, self.commands

        def train() -> Iterator[SessionInfo | StatusSnapshot | AlertSnapshot]:
            trainer = make(commands)
            yield session_info(trainer)
            for snap in trainer.run():
                if isinstance(snap, AlertSnapshot):
                    yield snap
                    continue
                buffer.put(snap)
                if isinstance(snap, StatusSnapshot):
                    yield dataclasses.replace(snap, message=in_window_words(snap.message))

        self._running = True
        self._worker.submit(
            train,
            on_yield=self._on_event,
            on_error=self._on_error,
            on_finished=self._on_finished,
            trim_memory=False,
        )

    def _on_event(self, event: SessionInfo | StatusSnapshot | AlertSnapshot) -> None:
        signal = {
            SessionInfo: self.ready,
            StatusSnapshot: self.status_changed,
            AlertSnapshot: self.alerts_changed,
        }[type(event)]
        signal.emit(event)

    def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, ConfigError):
            self.errored.emit(in_window_words(str(exc)), exc.field)
        elif isinstance(exc, StudioError):
            self.errored.emit(in_window_words(str(exc)), "")
        else:  # a bug: one line for the person, the traceback is in the log already
            self.errored.emit(
                f"Training stopped on an unexpected {type(exc).__name__}: {exc}. "
                f"Details are in the log file {self._log_path}",
                "",
            )

    def _on_finished(self) -> None:
        if self._running:
            self._running = False
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
        """Stop and wait (the application quits); True when the training thread ended."""
        if not self._running:
            return self._worker.shutdown(timeout_ms / 1000)
        self.stop()
        ended = self._worker.shutdown(timeout_ms / 1000)
        if ended:
            self._on_finished()  # now, not when the event loop next runs (the queued one is void)
        return ended


class RunReader(QObject):
    """Reads a run's files on the ``dcgan-io`` worker, so that opening a run or scrubbing
    through its saved grids never blocks the window; exports of its generator (seconds each)
    on a worker of their own, so that scrubbing never waits behind one."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker("dcgan-io", self)
        self._exports = Worker("dcgan-export", self)  # its thread starts with the first export
        self._exports_left = 0  # submitted and not yet finished: the window closes after them
        self._when_exported: list[Callable[[], None]] = []

    def read(
        self,
        folder: Path,
        on_read: Callable[[tuple[RunDirectory, RunConfig, list[dict], list[int]]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """The run, its config, its metrics and its saved grid steps; the newest request wins."""

        def read() -> tuple[RunDirectory, RunConfig, list[dict], list[int]]:
            run = RunDirectory.open(folder)
            return run, run.read_config(), run.read_metrics(), run.sample_steps()

        self._worker.submit(read, on_read, key="open", on_error=on_error)

    def read_grid(self, path: Path, on_read: Callable[[np.ndarray | Exception], None]) -> None:
        """A saved grid as an (H, W, 3) mosaic, or what went wrong; the newest request wins."""

        def read() -> np.ndarray | Exception:
            try:
                with Image.open(path) as im:
                    return np.asarray(im.convert("RGB"))  # as live mosaics are
            except Exception as exc:  # missing or damaged: Pillow raises many kinds
                return exc

        # every answer: while Play or a drag runs faster than files are read, each read grid is
        # still shown (the panel drops one the scrubber has moved past)
        self._worker.submit(read, on_read, key="grid", every_answer=True)

    def export_generator(
        self,
        run: RunDirectory,
        step: int | None,
        fmt: str,
        out: Path,
        ema: bool,
        on_done: Callable[[tuple[int, Path]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """File > Export Generator: G of the checkpoint at ``step`` (or the newest before it)
        written to ``out``; ``on_done((checkpoint step, sidecar))``. ONNX takes seconds."""

        def export() -> tuple[int, Path]:
            from dcgan_studio.core.generator_export import checkpoint_for, export_generator

            checkpoint = checkpoint_for(run, step)
            return checkpoint.step, export_generator(checkpoint, fmt, out, ema=ema)

        self._exports_left += 1
        self._exports.submit(  # no key: each export is kept
            export, on_done, on_error=on_error, on_finished=self._on_export_finished
        )

    @property
    def exporting(self) -> bool:
        """An export is written or waits to be: closing now would lose it."""
        return self._exports_left > 0

    def when_exported(self, then: Callable[[], None]) -> None:
        """``then()`` once every export asked for has been written (or has failed); once, however
        often it is asked (a second close while the exports are written)."""
        if then not in self._when_exported:
            self._when_exported.append(then)

    def _on_export_finished(self) -> None:
        self._exports_left -= 1
        if self._exports_left == 0:
            waiting, self._when_exported = self._when_exported, []
            for then in waiting:
                then()

    def shutdown(self, timeout: float = 10.0) -> None:
        self._worker.shutdown(timeout)
        self._exports.shutdown(timeout)
