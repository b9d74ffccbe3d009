"""The 1-D GAN's training loop for a worker thread: commands in, the newest frame out.

The GUI thread never trains. It sends commands (play, pause, step, reset, a new config, the
speed), which the loop drains between iterations, and takes the newest ``Gan1dFrame`` from a
single latest-wins slot. While playing, the loop does ``speed`` iterations and makes one frame, at
most every ``FRAME_SECONDS``; it works at most one frame ahead of the taker (the next is ready
when the last was taken), so it never computes frames faster than they are drawn. While paused it
waits on its condition and costs no CPU. ``run()`` is the loop as a generator: it yields the rare
events (a config applied, a failure) and returns once ``stop()`` was called. Qt-free: the GUI
runs it as one job of a worker and hands the events to the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from dcgan_studio.core.gan1d import Gan1dConfig, Gan1dSnapshot, Gan1dTrainer
from dcgan_studio.errors import StudioError

log = logging.getLogger("dcgan_studio")


@dataclass(frozen=True)
class Gan1dFrame:
    """One picture of the playground: a snapshot and the config it was trained with."""

    snapshot: Gan1dSnapshot
    config: Gan1dConfig
    generation: int  # counts resets: a new generation starts a new history


@dataclass(frozen=True)
class Reconfigured:
    """A config was applied; ``reset`` when it needed new networks."""

    config: Gan1dConfig
    reset: bool


@dataclass(frozen=True)
class Failed:
    """One line for a person; a failure while playing pauses the loop."""

    message: str


Gan1dEvent = Reconfigured | Failed


def unexpected(exc: Exception) -> Failed:
    """A bug, in one line for a person (the traceback goes to the log)."""
    return Failed(
        f"The 1-D GAN stopped on an unexpected {type(exc).__name__}: {exc}. "
        f"Details are in the log file."
    )


class Gan1dRunner:
    FRAME_SECONDS = 1 / 60  # the fastest the loop publishes, however fast frames are taken

    def __init__(self, config: Gan1dConfig | None = None) -> None:
        self._config = config or Gan1dConfig()
        self._lock = threading.Condition()
        self._commands: deque[tuple] = deque()
        self._frame: Gan1dFrame | None = None  # published, not yet taken
        self._stopping = False
        # the loop's own (its thread only)
        self._playing = False
        self._speed = 1
        self._generation = 0
        self._ahead: Gan1dFrame | None = None  # computed while the last one is still drawn
        self._next_frame = 0.0  # time.perf_counter() of the next frame while playing

    # ---- from any thread ----------------------------------------------------------------------
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
        """Apply ``config``: live fields keep training, the rest reset (``Reconfigured`` says)."""
        self._send("configure", config)

    def set_speed(self, iterations_per_frame: int) -> None:
        self._send("speed", max(1, int(iterations_per_frame)))

    def take(self) -> Gan1dFrame | None:
        """The newest frame if one arrived since the last call, else None."""
        with self._lock:
            frame, self._frame = self._frame, None
            if frame is not None:
                self._lock.notify()  # a playing loop waits for this
        return frame

    def stop(self) -> None:
        """End ``run()`` at its next wait or between two iterations."""
        with self._lock:
            self._stopping = True
            self._lock.notify()

    def _send(self, *command) -> None:
        with self._lock:
            self._commands.append(command)
            self._lock.notify()

    # ---- the worker thread --------------------------------------------------------------------
    def run(self) -> Iterator[Gan1dEvent]:
        """The loop; yields its rare events, returns once stopped."""
        try:
            trainer = Gan1dTrainer(self._config)
        except StudioError as exc:  # the GUI validates first; a last guard
            yield Failed(str(exc))
            trainer = Gan1dTrainer()
        self._publish(self._frame_of(trainer))
        while (commands := self._wait_for_work()) is not None:
            try:
                if not commands:
                    self._play(trainer)
                elif (yield from self._apply(trainer, commands)):
                    self._ahead = None  # stale now
                    self._publish(self._frame_of(trainer))
            except Exception as exc:  # a bug: one line for the person, the traceback to the log
                log.exception("1-D GAN worker failed")
                self._playing = False
                yield unexpected(exc)

    def _wait_for_work(self) -> list[tuple] | None:
        """The commands sent since the last call, or [] when it is time to train the next
        frame; None once stopping. Hands the frame computed ahead over when the last was taken."""
        with self._lock:
            while not self._commands:
                if self._stopping:
                    return None
                if self._ahead is not None and self._frame is None:  # the last one was taken
                    self._frame, self._ahead = self._ahead, None
                elif self._playing and self._ahead is None:
                    wait = self._next_frame - time.perf_counter()
                    if wait <= 0:
                        return []
                    self._lock.wait(wait)
                else:  # paused, or one frame ahead already
                    self._lock.wait()
            if self._stopping:
                return None
            commands = list(self._commands)
            self._commands.clear()
        return commands

    def _play(self, trainer: Gan1dTrainer) -> None:
        """``speed`` iterations, then a frame kept ahead until the last one is taken."""
        self._next_frame = time.perf_counter() + self.FRAME_SECONDS
        for _ in range(self._speed):
            trainer.step()
            if self._commands:  # Pause or Reset answers within one iteration
                break
        self._ahead = self._frame_of(trainer)

    def _apply(self, trainer: Gan1dTrainer, commands: list[tuple]) -> Iterator[Gan1dEvent]:
        """Run the commands in order, yielding their events; returns True when the picture
        changed."""
        changed = False
        for name, *args in commands:
            if name in ("play", "pause"):
                self._playing = name == "play"
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
                    yield Failed(str(exc))
                    continue
                self._generation += reset
                yield Reconfigured(trainer.config, reset)
                changed = True
        return changed

    def _frame_of(self, trainer: Gan1dTrainer) -> Gan1dFrame:
        return Gan1dFrame(trainer.snapshot(), trainer.config, self._generation)

    def _publish(self, frame: Gan1dFrame) -> None:
        with self._lock:
            self._frame = frame  # latest wins: an untaken older frame is dropped
