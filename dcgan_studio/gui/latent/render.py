"""Rendering for the latent explorer on its own thread, newest request wins.

The explorer renders with a ``LatentRenderer`` (its own CPU copy of G), never with the training
model. Requests carry a key ("main", "strip", "arithmetic", ...); for each key only the newest
pending request is kept, so while a slider is dragged the worker skips the positions it had no
time for instead of queueing them. Each result comes back on the GUI thread with the seconds from
the request to the rendered images (the latency a person feels, less the repaint).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from dcgan_studio.core.latent import LatentRenderer
from dcgan_studio.gui.background import return_freed_memory

log = logging.getLogger("dcgan_studio")


class RenderService(QObject):
    rendered = Signal(str, object, float)  # key, uint8 (N, H, W, C), seconds since the request
    renderer_changed = Signal(object)  # the LatentRenderer now in use (step, nz, source)
    failed = Signal(str)  # one line for a person

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.renderer: LatentRenderer | None = None
        self._pending: dict[str, tuple[np.ndarray, float]] = {}
        self._jobs: list[tuple[Callable[[], object], _Relay]] = []
        self._lock = threading.Condition()
        self._stopping = False
        self.dropped = 0  # requests replaced by newer ones before they were rendered
        self._thread = threading.Thread(target=self._loop, name="dcgan-render", daemon=True)
        self._thread.start()

    # ---- from the GUI thread ------------------------------------------------------------------
    def request(self, key: str, z: np.ndarray) -> None:
        """Render vectors (N, nz) for ``key``; replaces an older request of that key not yet
        started."""
        with self._lock:
            if key in self._pending:
                self.dropped += 1
            self._pending[key] = (np.array(z, np.float32, copy=True), time.perf_counter())
            self._lock.notify()

    def use(self, make_renderer: Callable[[], LatentRenderer]) -> None:
        """Build a renderer on the worker (from weights or a checkpoint) and render with it
        from then on."""

        def done(renderer) -> None:
            self.renderer = renderer
            self.renderer_changed.emit(renderer)

        self.run(make_renderer, done)

    def run(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        """Any other work that needs the renderer's thread (principal directions, saving):
        ``work()`` runs there, in order with the renders; ``done(result)`` on the GUI thread.
        A failure is reported through ``failed`` and ``done`` is not called."""
        relay = _Relay(self)  # made here, on the GUI thread: its signal lands here
        relay.ready.connect(done)
        relay.ready.connect(relay.deleteLater)
        with self._lock:
            self._jobs.append((work, relay))
            self._lock.notify()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify()
        self._thread.join(timeout=10)

    # ---- the worker thread --------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._lock:
                while not (self._stopping or self._jobs or self._pending):
                    self._lock.wait()
                if self._stopping:
                    return
                job = self._jobs.pop(0) if self._jobs else None
                if job is None:
                    key = next(iter(self._pending))
                    z, asked = self._pending.pop(key)
            try:
                if job is not None:  # a new G to render with, directions, a file: rare
                    work, relay = job
                    relay.ready.emit(work())
                    return_freed_memory()  # what building a G or a file left behind
                elif self.renderer is not None:
                    images = self.renderer.render(z)
                    self.rendered.emit(key, images, time.perf_counter() - asked)
            except Exception as exc:  # shown to the person; details in the log
                log.exception("latent explorer render failed")
                self.failed.emit(str(exc))


class _Relay(QObject):
    ready = Signal(object)
