"""The 1-D GAN playground's trainer on its own thread: commands in, the newest frame out.

The GUI thread never trains. It sends commands (play, pause, step, reset, a new config, the
speed) through one queue that the worker drains between iterations, and takes the newest
``Gan1dFrame`` from a single latest-wins slot from its redraw timer. While playing, the worker does
``speed`` iterations and makes one frame, at most every ``FRAME_SECONDS``; it works at most one
frame ahead of the GUI (the next is ready when the GUI takes the last), so it never computes
frames faster than they are drawn. While paused it blocks on the queue and costs no CPU. Rare
events (a config applied, a failure) come back as signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from dcgan_studio.core.gan1d import Gan1dConfig, Gan1dSnapshot, Gan1dTrainer
from dcgan_studio.errors import StudioError

log = logging.getLogger("dcgan_studio")


@dataclass(frozen=True)
class Gan1dFrame:
    """One picture of the playground: a snapshot and the config it was trained with."""

    snapshot: Gan1dSnapshot
    config: Gan1dConfig
    generation: int  # counts resets: a new generation starts a new history


class Gan1dService(QObject):
    reconfigured = Signal(object, bool)  # the config now in use; True when it reset the networks
    failed = Signal(str)  # one line for a person; the worker pauses itself

    FRAME_SECONDS = 1 / 60  # the fastest the worker publishes, however fast the GUI takes

    def __init__(self, config: Gan1dConfig | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._commands: deque[tuple] = deque()
        self._lock = threading.Condition()
        self._frame: Gan1dFrame | None = None  # published, not yet taken
        self._stopping = False
        self._playing = False
        self._speed = 1
        self._generation = 0
        self._thread = threading.Thread(
            target=self._loop, args=((config or Gan1dConfig()),), name="dcgan-gan1d", daemon=True
        )
        self._thread.start()

    # ---- from the GUI thread ------------------------------------------------------------------
    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def step(self, d: bool = True, g: bool = True) -> None:
        """One iteration (D then G, D only, or G only), then a frame."""
        self._send("step", d, g)

    def reset(self) -> None:
        self._send("reset")

    def configure(self, config: Gan1dConfig) -> None:
        """Apply ``config``: live fields keep training, the rest reset (see ``reconfigured``)."""
        self._send("configure", config)

    def set_speed(self, iterations_per_frame: int) -> None:
        self._send("speed", max(1, int(iterations_per_frame)))

    def take(self) -> Gan1dFrame | None:
        """The newest frame if one arrived since the last call, else None."""
        with self._lock:
            frame, self._frame = self._frame, None
            if frame is not None:
                self._lock.notify()  # a playing worker waits for this
        return frame

    def stop(self, timeout: float = 10.0) -> bool:
        """End the worker thread; True when it ended within ``timeout`` seconds."""
        with self._lock:
            self._stopping = True
            self._lock.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _send(self, *command) -> None:
        with self._lock:
            self._commands.append(command)
            self._lock.notify()

    # ---- the worker thread --------------------------------------------------------------------
    def _loop(self, config: Gan1dConfig) -> None:
        try:
            trainer = Gan1dTrainer(config)
        except StudioError as exc:  # the GUI validates first; a last guard
            self._emit(self.failed, str(exc))
            trainer = Gan1dTrainer()
        self._publish(self._frame_of(trainer))
        ahead: Gan1dFrame | None = None  # computed while the GUI still draws the last one
        next_frame = 0.0
        while True:
            with self._lock:
                while True:
                    if self._stopping:
                        return
                    if self._commands:
                        break
                    if ahead is not None and self._frame is None:  # the GUI took the last one
                        self._frame, ahead = ahead, None
                    elif self._playing and ahead is None:
                        wait = next_frame - time.perf_counter()
                        if wait <= 0:
                            break
                        self._lock.wait(wait)
                    else:  # paused, or one frame ahead already
                        self._lock.wait()
                commands = list(self._commands)
                self._commands.clear()
            try:
                if commands:
                    if self._apply(trainer, commands):
                        ahead = None  # stale now
                        self._publish(self._frame_of(trainer))
                    continue
                next_frame = time.perf_counter() + self.FRAME_SECONDS
                for _ in range(self._speed):
                    trainer.step()
                    if self._commands:  # Pause or Reset answers within one iteration
                        break
                ahead = self._frame_of(trainer)
            except Exception as exc:  # a bug: one line for the person, the traceback to the log
                log.exception("1-D GAN worker failed")
                self._playing = False
                self._emit(
                    self.failed,
                    f"The 1-D GAN stopped on an unexpected "
                    f"{type(exc).__name__}: {exc}. Details are in the log file.",
                )

    def _apply(self, trainer: Gan1dTrainer, commands: list[tuple]) -> bool:
        """Run the commands in order; True when the picture changed."""
        changed = False
        for name, *args in commands:
            if name == "play":
                self._playing = True
            elif name == "pause":
                self._playing = False
            elif name == "speed":
                self._speed = args[0]
            elif name == "step":
                trainer.step(d=args[0], g=args[1])
                changed = True
            elif name == "reset":
                trainer.reset()
                self._generation += 1
                changed = True
            elif name == "configure":
                try:
                    reset = trainer.reconfigure(args[0])
                except StudioError as exc:
                    self._emit(self.failed, str(exc))
                    continue
                self._generation += reset
                self._emit(self.reconfigured, trainer.config, reset)
                changed = True
        return changed

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the widget went away without stop(): end quietly
            with self._lock:
                self._stopping = True

    def _frame_of(self, trainer: Gan1dTrainer) -> Gan1dFrame:
        return Gan1dFrame(trainer.snapshot(), trainer.config, self._generation)

    def _publish(self, frame: Gan1dFrame) -> None:
        with self._lock:
            self._frame = frame  # latest wins: an untaken older frame is dropped
