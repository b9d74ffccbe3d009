"""The 1-D GAN playground: watch a tiny GAN learn a 1-D distribution, step by step.

A control column on the left (presets, settings, Play / Step / Step D / Step G / Reset, the speed,
read-outs, a status line and a plain-language explanation) and three plots on the right. The
trainer runs on ``Gan1dService``'s thread; this widget only sends commands and draws the newest
frame from one timer. Hiding the widget (another tab chosen) pauses it. Call ``shutdown()``
before the window closes: it ends the worker thread.
"""

from __future__ import annotations

import dataclasses
import math
import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.gan1d import Gan1dConfig, TwoGaussians
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.gan1d.jobs import Gan1dFrame, Gan1dService
from dcgan_studio.gui.gan1d.plots import EQUILIBRIUM, Gan1dPlots
from dcgan_studio.gui.gan1d.settings import TIPS, Gan1dSettings

REDRAW_MS = 25  # up to 40 redraws a second; a frame is drawn only when a new one arrived
# how long the redraw timer keeps looking for the answer to a command while paused; then it
# stops, so a paused playground does not wake the GUI thread 40 times a second for nothing
ANSWER_SECONDS = 2.0

PRESETS = {
    "Converge on a Gaussian (defaults)": Gan1dConfig(),
    "Mode collapse on Two Gaussians": Gan1dConfig(target=TwoGaussians(), lr_g=1e-2, seed=1),
    "Two Gaussians, both modes covered": Gan1dConfig(target=TwoGaussians(), lr_g=3e-3, seed=1),
}

EXPLANATION = (
    "<b>What you see.</b> Blue is the real data, orange is G, green is D. The filled blue curve "
    "is the target density; the orange curve is G's density, estimated from 4,000 of its "
    "samples (the pale bars count them in bins). The dashed green curve is D's opinion: the "
    "probability that a sample at x is real. "
    'G\'s samples slide towards where D says "real" (above 0.5) and away from where it says '
    '"fake". When G matches the target, D cannot tell them apart: its curve flattens at 0.5, '
    "V(D, G) settles near −2 log 2 ≈ −1.39 and W1, how far G's samples are from the real ones, "
    "falls towards 0. The lower-left plot is G itself: each noise value z goes to a sample "
    "x = G(z); where the curve is steep G spreads its samples thinly, where it is flat G piles "
    "them up."
)
COLLAPSE_HINT = (
    '<b>Mode collapse.</b> Choose the preset "Mode collapse on Two Gaussians" (lr G 0.01, '
    "seed 1) and press Play: G piles nearly all its samples onto one bump, D learns to reject "
    "it, and G hops to the other bump, again and again, never covering both. With lr G 0.003 the "
    "same seed covers both bumps."
)


def _number(value: float, digits: int = 3) -> str:
    return "—" if math.isnan(value) else f"{value:.{digits}f}".replace("-", "−")


def _paragraph(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class Gan1dPlayground(QWidget):
    frame_drawn = Signal(object)  # the Gan1dFrame now on screen

    def __init__(self, config: Gan1dConfig | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config = (config or Gan1dConfig()).validate()  # the one the worker uses
        self.playing = False
        self.frames_drawn = 0
        self.last_frame: Gan1dFrame | None = None
        self._paused_by_hiding = False
        self._preset_pending = False
        self.service = Gan1dService(self.config, self)
        self.service.reconfigured.connect(self._on_service_reconfigured)
        self.service.failed.connect(self._on_service_failed)
        stop = self.service.stop  # a widget deleted without shutdown() still ends its thread
        self.destroyed.connect(lambda *_: stop(2.0))
        self._build()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self._look_until = 0.0  # time.monotonic() until which a paused timer looks for frames
        self._expect_frame()  # the worker's first picture

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        column = QWidget()
        side = QVBoxLayout(column)
        side.setContentsMargins(0, 0, 6, 0)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Try a preset…")
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setToolTip("Settings that show something: apply them and start again.")
        self.preset_combo.activated.connect(self._on_preset_activated)
        side.addWidget(self.preset_combo)
        self.settings = Gan1dSettings(self.config)
        self.settings.changed.connect(self._on_settings_changed)
        side.addWidget(self.settings)
        side.addLayout(self._buttons())
        self.histogram_box = QCheckBox("Show G's histogram")
        self.histogram_box.setToolTip("G's samples counted in bins, behind its smooth density.")
        self.histogram_box.setChecked(True)
        self.histogram_box.toggled.connect(self._on_histogram_toggled)
        side.addWidget(self.histogram_box)
        side.addLayout(self._readouts())
        self.status = QLabel("Press Play to train, or Step to go one iteration at a time.")
        self.status.setWordWrap(True)
        side.addWidget(self.status)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        side.addWidget(line)
        side.addWidget(_paragraph(COLLAPSE_HINT))
        side.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(320)
        layout.addWidget(scroll)
        right = QVBoxLayout()
        self.plots = Gan1dPlots()
        right.addWidget(self.plots, 1)
        right.addWidget(_paragraph(EXPLANATION))
        layout.addLayout(right, 1)

    def _buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Train continuously; press again to pause.")
        self.play_button.clicked.connect(self._on_play_clicked)
        self.step_button = QPushButton("Step")
        self.step_button.setToolTip(
            "One iteration: D steps per G step updates of D, then one of G."
        )
        self.step_button.clicked.connect(lambda: self._step(d=True, g=True))
        self.step_d_button = QPushButton("Step D")
        self.step_d_button.setToolTip("Update D only: watch the green curve move, G stays put.")
        self.step_d_button.clicked.connect(lambda: self._step(d=True, g=False))
        self.step_g_button = QPushButton("Step G")
        self.step_g_button.setToolTip("Update G only: its samples move along D's slope.")
        self.step_g_button.clicked.connect(lambda: self._step(d=False, g=True))
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("New networks from the seed, back to iteration 0.")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        grid.addWidget(self.step_button, 0, 1)
        grid.addWidget(self.reset_button, 0, 2)
        grid.addWidget(self.step_d_button, 1, 1)
        grid.addWidget(self.step_g_button, 1, 2)
        self.play_button.setMinimumHeight(2 * self.step_button.sizeHint().height())
        grid.addWidget(self.play_button, 0, 0, 2, 1)
        self.speed_spin = QSpinBox()
        self.speed_spin.setRange(1, 500)
        self.speed_spin.setValue(1)
        self.speed_spin.setSuffix(" iterations / frame")
        self.speed_spin.setKeyboardTracking(False)
        self.speed_spin.setToolTip(
            "Iterations between two pictures while playing: 1 is slow "
            "motion, 50 gets through a thousand iterations in seconds."
        )
        self.speed_spin.valueChanged.connect(self._on_speed_changed)
        grid.addWidget(QLabel("Speed"), 2, 0)
        grid.addWidget(self.speed_spin, 2, 1, 1, 2)
        return grid

    def _readouts(self) -> QFormLayout:
        form = QFormLayout()
        tips = {
            "step": ("Iteration", "Iterations done; Step D or Step G alone counts as one."),
            "value": (
                "V(D, G)",
                "E[log D(x)] + E[log(1 − D(G(z)))] on fixed samples: what D "
                "maximises and G minimises. −2 log 2 ≈ −1.386 when D cannot tell.",
            ),
            "distance": (
                "W1 distance",
                "How far G's samples are from the real ones (the "
                "Wasserstein-1 distance, in units of x); 0 when they match.",
            ),
            "loss_d": (
                "loss D",
                "D's loss on the last real and fake batch; — when D was not "
                "updated. Near 1.39 when D cannot tell.",
            ),
            "loss_g": (
                "loss G",
                "G's loss −log D(G(z)) on the last batch; — when G was not "
                "updated. Near 0.69 when D cannot tell.",
            ),
        }
        self.readouts: dict[str, QLabel] = {}
        for key, (name, tip) in tips.items():
            label, value = QLabel(name), QLabel("—")
            label.setToolTip(tip)
            value.setToolTip(tip)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.readouts[key] = value
            form.addRow(label, value)
        return form

    # ---- public API ---------------------------------------------------------------------------
    def play(self) -> None:
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def shutdown(self) -> None:
        """Stop drawing and end the worker thread (call before the window closes)."""
        self.timer.stop()
        self.service.stop()

    # ---- handlers -----------------------------------------------------------------------------
    def _on_play_clicked(self) -> None:
        self._set_playing(not self.playing)

    def _set_playing(self, on: bool) -> None:
        self.playing = on
        self._paused_by_hiding = False
        (self.service.play if on else self.service.pause)()
        self._expect_frame()  # playing: every frame; paused: the last one
        self.play_button.setText("Pause" if on else "Play")
        for button in (self.step_button, self.step_d_button, self.step_g_button):
            button.setEnabled(not on)

    def _step(self, d: bool, g: bool) -> None:
        self.service.step(d=d, g=g)
        self._expect_frame()

    def _expect_frame(self) -> None:
        """A command was sent whose answer is a frame: the redraw timer runs until it is drawn
        (and on while playing)."""
        self._look_until = time.monotonic() + ANSWER_SECONDS
        if not self.timer.isActive():
            self.timer.start()

    def _on_reset_clicked(self) -> None:
        self.service.reset()
        self._expect_frame()
        self._say(f"Reset: new networks from seed {self.config.seed}, back to iteration 0.")

    def _on_speed_changed(self, value: int) -> None:
        self.service.set_speed(value)

    def _on_histogram_toggled(self, on: bool) -> None:
        self.plots.set_histogram_visible(on)
        if on and self.last_frame is not None:
            self.plots.show_frame(self.last_frame, histogram=True)

    def _on_preset_activated(self, index: int) -> None:
        if index <= 0:
            return
        name = self.preset_combo.itemText(index)
        self.preset_combo.setCurrentIndex(0)
        self.settings.set_config(PRESETS[name])
        self.service.configure(PRESETS[name])
        self.service.reset()  # start again even when the settings were already these
        self._expect_frame()
        self._say(
            f'Preset "{name}": new networks from seed {PRESETS[name].seed}, back to '
            f"iteration 0. Press Play."
        )
        self._preset_pending = True  # the worker's answer adds what changed, not replaces this

    def _on_settings_changed(self) -> None:
        try:
            config = self.settings.config()
        except ConfigError as exc:
            self._say(f"{exc}. The playground keeps its last good settings.", error=True)
            return
        self.service.configure(config)
        self._expect_frame()

    def _on_service_reconfigured(self, config: Gan1dConfig, reset: bool) -> None:
        changed = [
            TIPS[f.name][0] if f.name in TIPS else f.name
            for f in dataclasses.fields(Gan1dConfig)
            if getattr(config, f.name) != getattr(self.config, f.name)
        ]
        self.config = config
        names = ", ".join(changed)
        if self._preset_pending:  # keep the preset's line, say what it changed
            self._preset_pending = False
            if changed:
                self._say(f"{self.status.text()} Changed: {names}.")
        elif changed and reset:
            self._say(
                f"{names} changed: new networks from seed {config.seed}, back to iteration 0."
            )
        elif changed:
            self._say(f"{names} changed: applied live, training goes on.")

    def _on_service_failed(self, message: str) -> None:
        if self.playing:
            self._set_playing(False)
        self._say(message, error=True)

    def _on_timer_timeout(self) -> None:
        frame = self.service.take()
        if frame is None:
            if not self.playing and time.monotonic() > self._look_until:
                self.timer.stop()  # nothing more is coming until the next command
            return
        self.last_frame = frame
        self.plots.show_frame(frame, histogram=self.histogram_box.isChecked())
        snap = frame.snapshot
        self.readouts["step"].setText(f"{snap.step:,}")
        self.readouts["value"].setText(
            f"{_number(snap.value)}   (equilibrium {_number(EQUILIBRIUM)})"
        )
        self.readouts["distance"].setText(_number(snap.distance))
        self.readouts["loss_d"].setText(_number(snap.loss_d))
        self.readouts["loss_g"].setText(_number(snap.loss_g))
        self.frames_drawn += 1
        self.frame_drawn.emit(frame)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #d62728;" if error else "")

    # ---- visibility ---------------------------------------------------------------------------
    def hideEvent(self, event: QHideEvent) -> None:
        if self.playing:  # another tab chosen, or the window minimised: stop spending the CPU
            self._set_playing(False)
            self._paused_by_hiding = True
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        if self._paused_by_hiding:
            self._say("Paused while the playground was hidden. Press Play to go on.")
            self._paused_by_hiding = False
        super().showEvent(event)
