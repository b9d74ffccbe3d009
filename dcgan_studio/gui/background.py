"""Work that must not block the window: run it on a Python thread, get the result on the GUI
thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Delivery(QObject):
    done = Signal(object, object)  # result, error


def run_in_background(parent: QObject, fn: Callable[[], Any],
                      on_done: Callable[[Any, Exception | None], None]) -> None:
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

    threading.Thread(target=work, name="dcgan-io", daemon=True).start()
