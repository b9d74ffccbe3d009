"""How a Qt-free model tells its views that it changed (napari's ``Dims`` and its events).

A model holds ``Event`` attributes; a view connects a handler to each event it shows and the
model emits after every change. Models live on the GUI thread: a worker's answer reaches them
through ``gui.workers``, so an event is never emitted from another thread. No Qt here: the
models are tested with plain pytest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A list of handlers, called in the order they were connected."""

    def __init__(self) -> None:
        self._handlers: list[Callable[..., Any]] = []

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        self._handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable[..., Any]) -> None:
        self._handlers.remove(handler)

    def emit(self, *args: Any) -> None:
        for handler in list(self._handlers):  # a handler may disconnect itself
            handler(*args)
