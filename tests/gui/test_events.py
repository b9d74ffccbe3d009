"""The models' events: handlers in order, a handler may leave while being called, no Qt."""

from __future__ import annotations

import subprocess
import sys

from dcgan_studio.gui.events import Event


def test_handlers_are_called_in_order_with_the_arguments():
    event, calls = Event(), []
    event.connect(lambda *a: calls.append(("first", a)))
    event.connect(lambda *a: calls.append(("second", a)))
    event.emit(1, "two")
    assert calls == [("first", (1, "two")), ("second", (1, "two"))]


def test_a_handler_that_disconnects_itself_does_not_skip_the_next():
    event, calls = Event(), []

    def once(value):
        calls.append(("once", value))
        event.disconnect(once)

    event.connect(once)
    event.connect(lambda value: calls.append(("always", value)))
    event.emit(1)
    event.emit(2)
    assert calls == [("once", 1), ("always", 1), ("always", 2)]


def test_events_import_no_qt():
    code = "import sys, dcgan_studio.gui.events; print(any('PySide6' in m for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
