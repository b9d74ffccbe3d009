"""Work that must not block the window: run it on a Python thread, get the result on the GUI
thread."""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal


class _Delivery(QObject):
    done = Signal(object, object)  # result, error


def run_in_background(
    parent: QObject, fn: Callable[[], Any], on_done: Callable[[Any, Exception | None], None]
) -> None:
    """Run ``fn`` on a Python thread and call ``on_done`` with its result on the GUI thread.
    Each call has its own emitter, so overlapping calls never swap results."""
    delivery = _Delivery(parent)
    delivery.done.connect(on_done)
    delivery.done.connect(delivery.deleteLater)

    def work() -> None:
        try:
            result, error = fn(), None
        except Exception as exc:  # delivered to on_done, which tells the person
            result, error = None, exc
        try:
            delivery.done.emit(result, error)
        except RuntimeError:  # the window closed meanwhile and took the emitter with it
            pass
        return_freed_memory()  # what fn freed stays resident otherwise

    threading.Thread(target=work, name="dcgan-io", daemon=True).start()


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc's; musl, macOS and Windows have none
    except (AttributeError, OSError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _find_malloc_trim()


def return_freed_memory() -> bool:
    """Give the pages that this process has freed back to the system; True if it could.

    glibc keeps what a thread frees in that thread's arena for its next allocations, and a page
    stays resident while any live block sits on it. A data preview decodes the whole dataset on
    a short-lived thread: twelve of them in a row left the process 180 MB larger although each
    freed all it made; with ``malloc_trim`` after each, 30 MB. Costs milliseconds; call it after
    such work, never per training step."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


class _GuiThreadCollector(QObject):
    """Python's cyclic garbage collector, run from a timer on the GUI thread only.

    Python runs the collector in whichever thread happens to allocate past its threshold. In
    the studio that is often the training thread, and a cycle that holds a Qt object (a widget
    and a lambda connected to its signal) is then destroyed there: Qt objects must die on their
    own thread, and a QWidget's destructor on the training thread deadlocked in shiboken waiting
    for the interpreter (seen in the GUI tests). The automatic collector is turned off and this
    one collects each generation, as Python would, at most every ``interval_ms``.
    """

    def __init__(self, interval_ms: int) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> None:
        """One collection of the oldest generation that is due (it takes the younger along)."""
        counts, due = gc.get_count(), -1
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            due = generation
        if due >= 0:
            gc.collect(due)


_collector: _GuiThreadCollector | None = None


def collect_garbage_on_gui_thread(interval_ms: int = 1000) -> None:
    """From now on Python's cyclic garbage is collected on this (the GUI) thread only; once per
    process, and to be called on the GUI thread before any worker thread starts."""
    global _collector
    if _collector is None:
        _collector = _GuiThreadCollector(interval_ms)
