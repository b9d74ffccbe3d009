"""What the 1-D GAN playground runs off the GUI thread: its training loop, as one long job.

``Gan1dService`` runs a ``Gan1dRunner``'s loop on the ``dcgan-gan1d`` worker from ``start()``
until ``stop()``. The loop's rare events come back as signals on the GUI thread; commands and
frames do not pass through here: the playground's model sends commands to the runner and takes
its newest frame from the redraw timer (both are thread-safe).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from dcgan_studio.core.gan1d_runner import (
    Failed,
    Gan1dEvent,
    Gan1dRunner,
    Reconfigured,
    unexpected,
)
from dcgan_studio.gui.workers import Worker


class Gan1dService(QObject):
    reconfigured = Signal(object, bool)  # the config now in use; True when it reset the networks
    failed = Signal(str)  # one line for a person; a failure while playing pauses the loop

    def __init__(self, runner: Gan1dRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._worker = Worker("dcgan-gan1d", self)
        self.destroyed.connect(lambda *_: runner.stop())  # deleted without stop(): end the loop

    def start(self) -> None:
        """Run the loop (once)."""
        self._worker.submit(
            self._runner.run, on_yield=self._on_runner_event, on_error=self._on_runner_error
        )

    def stop(self, timeout: float = 10.0) -> bool:
        """End the loop and its thread; True when it ended within ``timeout`` seconds."""
        self._runner.stop()
        return self._worker.shutdown(timeout)

    @property
    def alive(self) -> bool:
        return self._worker.busy

    def _on_runner_event(self, event: Gan1dEvent) -> None:
        if isinstance(event, Reconfigured):
            self.reconfigured.emit(event.config, event.reset)
        elif isinstance(event, Failed):
            self.failed.emit(event.message)

    def _on_runner_error(self, exc: Exception) -> None:  # the loop itself ended on a bug
        self.failed.emit(unexpected(exc).message)
