"""The 1-D GAN playground, Qt-free: playing or paused, the speed, the settings in use, the status
line, and the frames it draws.

The model sends the person's commands to the training loop (a ``Gan1dRunner``, or anything with
its methods) and takes the loop's newest frame when the view's redraw timer asks (``poll``). A
command whose answer is a frame makes the model expect one for ``ANSWER_SECONDS``; while paused,
``poll`` says when nothing more is coming, so the view can stop its timer and an idle playground
costs nothing. The loop's events (``applied``, ``failed``) come back through the workspace.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from dcgan_studio.core.gan1d import Gan1dConfig, TwoGaussians
from dcgan_studio.core.gan1d_runner import Gan1dFrame
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.events import Event
from dcgan_studio.gui.gan1d.text import changed_settings

ANSWER_SECONDS = 2.0  # how long a paused playground looks for the answer to a command
START_TEXT = "Press Play to train, or Step to go one iteration at a time."
HIDDEN_TEXT = "Paused while the playground was hidden. Press Play to go on."

PRESETS = {
    "Converge on a Gaussian (defaults)": Gan1dConfig(),
    "Mode collapse on Two Gaussians": Gan1dConfig(target=TwoGaussians(), lr_g=1e-2, seed=1),
    "Two Gaussians, both modes covered": Gan1dConfig(target=TwoGaussians(), lr_g=3e-3, seed=1),
}


class Gan1dCommands(Protocol):
    """What the model asks of the training loop (``Gan1dRunner``'s thread-safe methods)."""

    def play(self) -> None: ...
    def pause(self) -> None: ...
    def step(self, d: bool = True, g: bool = True) -> None: ...
    def reset(self) -> None: ...
    def configure(self, config: Gan1dConfig) -> None: ...
    def set_speed(self, iterations_per_frame: int) -> None: ...
    def take(self) -> Gan1dFrame | None: ...


def restarts(frame: Gan1dFrame, last: Gan1dFrame | None) -> bool:
    """``frame`` begins a new history: the first, after a reset, or of another target."""
    return (
        last is None
        or frame.generation != last.generation
        or frame.config.target != last.config.target
    )


class PlaygroundModel:
    def __init__(
        self,
        commands: Gan1dCommands,
        config: Gan1dConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._commands = commands
        self._clock = clock
        self.config = (config or Gan1dConfig()).validate()  # the one the loop uses
        self.playing = False
        self.speed = 1  # iterations per frame while playing
        self.status, self.status_error = START_TEXT, False
        self.last_frame: Gan1dFrame | None = None
        self.frames_drawn = 0
        self.paused_by_hiding = False
        self._preset_pending = False  # the loop's answer to a preset adds to its status line
        self._look_until = clock() + ANSWER_SECONDS  # the loop's first picture is on its way
        self.playing_changed = Event()  # (playing)
        self.status_changed = Event()  # (text, error)
        self.frame_changed = Event()  # (frame, restarted): a new frame to draw
        self.settings_shown = Event()  # (config): a preset chose these settings
        self.frame_expected = Event()  # (): a command was sent whose answer is a frame

    # ---- the person's commands ----------------------------------------------------------------
    def play(self) -> None:
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def toggle_play(self) -> None:
        self._set_playing(not self.playing)

    def step(self, d: bool = True, g: bool = True) -> None:
        """One iteration: D then G, D only or G only."""
        self._commands.step(d=d, g=g)
        self._expect_frame()

    def reset(self) -> None:
        self._commands.reset()
        self._expect_frame()
        self._say(f"Reset: new networks from seed {self.config.seed}, back to iteration 0.")

    def set_speed(self, iterations_per_frame: int) -> None:
        self.speed = max(1, int(iterations_per_frame))
        self._commands.set_speed(self.speed)

    def choose_preset(self, name: str) -> None:
        """Apply preset ``name`` and start again, even when the settings were already these."""
        config = PRESETS[name]
        self.settings_shown.emit(config)
        self._commands.configure(config)
        self._commands.reset()
        self._expect_frame()
        self._say(
            f'Preset "{name}": new networks from seed {config.seed}, back to iteration 0. '
            f"Press Play."
        )
        self._preset_pending = True

    def apply_settings(self, config: Gan1dConfig) -> None:
        """The settings a person committed; the loop answers with ``applied``."""
        self._commands.configure(config)
        self._expect_frame()

    def refuse_settings(self, error: ConfigError) -> None:
        """The settings on screen make no config: say why; the loop keeps the last good one."""
        self._say(f"{error}. The playground keeps its last good settings.", error=True)

    # ---- visibility ---------------------------------------------------------------------------
    def hidden(self) -> None:
        """Another tab chosen, or the window minimised: stop spending the CPU."""
        if self.playing:
            self._set_playing(False)
            self.paused_by_hiding = True

    def shown(self) -> None:
        if self.paused_by_hiding:
            self.paused_by_hiding = False
            self._say(HIDDEN_TEXT)

    # ---- the loop's answers -------------------------------------------------------------------
    def applied(self, config: Gan1dConfig, reset: bool) -> None:
        """The loop took ``config``; ``reset`` when it needed new networks."""
        changed = ", ".join(changed_settings(self.config, config))
        self.config = config
        if self._preset_pending:  # keep the preset's line, say what it changed
            self._preset_pending = False
            if changed:
                self._say(f"{self.status} Changed: {changed}.")
        elif changed and reset:
            self._say(
                f"{changed} changed: new networks from seed {config.seed}, back to iteration 0."
            )
        elif changed:
            self._say(f"{changed} changed: applied live, training goes on.")

    def failed(self, message: str) -> None:
        if self.playing:
            self._set_playing(False)
        self._say(message, error=True)

    def poll(self) -> bool:
        """Take the loop's newest frame, if any (``frame_changed``); False when no frame can
        come until the next command (paused, the first frame drawn, and the last answer in or
        overdue)."""
        frame = self._commands.take()
        if frame is None:  # the first picture may take long on a busy CPU: wait for it
            waiting = self.playing or self.last_frame is None
            return waiting or self._clock() <= self._look_until
        restarted = restarts(frame, self.last_frame)
        self.last_frame = frame
        self.frames_drawn += 1
        self.frame_changed.emit(frame, restarted)
        return True

    # ---- inside -------------------------------------------------------------------------------
    def _set_playing(self, on: bool) -> None:
        self.playing = on
        self.paused_by_hiding = False
        (self._commands.play if on else self._commands.pause)()
        self._expect_frame()  # playing: every frame; paused: the last one
        self.playing_changed.emit(on)

    def _expect_frame(self) -> None:
        self._look_until = self._clock() + ANSWER_SECONDS
        self.frame_expected.emit()

    def _say(self, text: str, error: bool = False) -> None:
        self.status, self.status_error = text, error
        self.status_changed.emit(text, error)
