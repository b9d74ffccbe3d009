"""What the benchmarks of the window share: running the real event loop until something holds,
a headless trainer training beside a view, the probe of the GUI thread's stalls, and the head of
a JSON report."""

from __future__ import annotations

import contextlib
import json
import platform
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from dcgan_studio.config import RunConfig

# how often run_until looks at its condition: each look is a wake-up of the GUI thread, which the
# windowed contestant pays for and a person's window does not (at 5 ms it was 2% of a core)
CHECK_MS = 25


def run_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the real event loop (timers, paints, signals) until ``condition()`` holds."""
    if condition():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(CHECK_MS)
    check.timeout.connect(lambda: condition() and loop.quit())
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    check.start()
    deadline.start(int(timeout * 1000))
    loop.exec()
    check.stop()
    deadline.stop()
    if not condition():
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait(seconds: float) -> None:
    """Run the event loop (timers, paints) for ``seconds``."""
    end = time.perf_counter() + seconds
    run_until(lambda: time.perf_counter() >= end, seconds + 5, "the clock")


@contextlib.contextmanager
def training_beside(trainer):
    """Train ``trainer`` on another thread while the block runs (a benchmark's busy case): it
    has made two steps when the block starts, and is stopped and joined when it ends."""
    stop = threading.Event()

    def train() -> None:
        for _ in trainer.run():
            if stop.is_set():
                trainer.commands.stop()

    worker = threading.Thread(target=train, name="bench-training")
    worker.start()
    try:
        run_until(lambda: trainer.step >= 2, 120, "training to run")
        yield
    finally:
        stop.set()
        worker.join()


class StallProbe:
    """A precise timer on the GUI thread; each timeout's lag behind its interval, in ms."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self.lags: list[float] = []
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._on_timeout)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._last = None

    def _on_timeout(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.lags.append((now - self._last) * 1000.0 - self.interval_ms)
        self._last = now


def versions() -> str:
    """'N threads, torch X, PySide6 Y, Qt platform Z' for a report's first line."""
    return (
        f"{torch.get_num_threads()} threads, torch {torch.__version__}, PySide6 "
        f"{pyside_version}, Qt platform {QGuiApplication.platformName()}"
    )


def write_report(path: Path, command: str, cfg: RunConfig, **fields) -> None:
    """A JSON report: the command, where it ran and with what, the config, then ``fields``."""
    head = {
        "command": command,
        "platform": QGuiApplication.platformName(),
        "config": cfg.to_dict(),
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pyside6": pyside_version,
    }
    path.write_text(json.dumps({**head, **fields}, indent=2))
