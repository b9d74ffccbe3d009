"""The 1-D GAN playground: watch a tiny GAN learn a 1-D distribution, step by step.

A control column on the left (presets, settings, Play / Step / Step D / Step G / Reset, the speed,
read-outs, a status line and a plain-language explanation) and three plots on the right. The view
shows its ``PlaygroundModel`` and hands it the person's commands; one redraw timer asks the model
for the loop's newest frame while one can come. Hiding the widget (another tab chosen) pauses it.
Call ``shutdown()`` before the window closes: it ends the training loop's thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.gan1d_runner import Gan1dFrame
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.gan1d.model import PRESETS, PlaygroundModel
from dcgan_studio.gui.gan1d.plots import Gan1dPlots
from dcgan_studio.gui.gan1d.settings import Gan1dSettings
from dcgan_studio.gui.gan1d.text import COLLAPSE_HINT, EXPLANATION, READOUTS, readout_texts
from dcgan_studio.gui.widgets.compact import push_button, spin_box, text_label

if TYPE_CHECKING:
    from dcgan_studio.gui.gan1d.jobs import Gan1dService

REDRAW_MS = 25  # up to 40 redraws a second; a frame is drawn only when a new one arrived
ERROR_STYLE = "color: #d62728;"
SPEED_TIP = (
    "Iterations between two pictures while playing: 1 is slow "
    "motion, 50 gets through a thousand iterations in seconds."
)


class Gan1dPlayground(QWidget):
    frame_drawn = Signal(object)  # the Gan1dFrame now on screen

    def __init__(
        self, model: PlaygroundModel, service: Gan1dService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.service = service  # runs the training loop; ``shutdown`` stops it
        self._build()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        model.playing_changed.connect(self._on_model_playing_changed)
        model.status_changed.connect(self._on_model_status_changed)
        model.frame_changed.connect(self._on_model_frame_changed)
        model.settings_shown.connect(self.settings.set_config)
        model.frame_expected.connect(self._on_model_frame_expected)
        self._on_model_status_changed(model.status, model.status_error)
        self._on_model_frame_expected()  # the loop's first picture

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self._side_column())
        right = QVBoxLayout()
        self.plots = Gan1dPlots()
        right.addWidget(self.plots, 1)
        right.addWidget(text_label(EXPLANATION, rich=True))
        layout.addLayout(right, 1)

    def _side_column(self) -> QScrollArea:
        column = QWidget()
        side = QVBoxLayout(column)
        side.setContentsMargins(0, 0, 6, 0)
        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Try a preset…")
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setToolTip("Settings that show something: apply them and start again.")
        self.preset_combo.activated.connect(self._on_preset_activated)
        side.addWidget(self.preset_combo)
        self.settings = Gan1dSettings(self.model.config)
        self.settings.changed.connect(self._on_settings_changed)
        side.addWidget(self.settings)
        side.addLayout(self._buttons())
        self.histogram_box = QCheckBox("Show G's histogram")
        self.histogram_box.setToolTip("G's samples counted in bins, behind its smooth density.")
        self.histogram_box.setChecked(True)
        self.histogram_box.toggled.connect(self._on_histogram_toggled)
        side.addWidget(self.histogram_box)
        side.addLayout(self._readouts())
        self.status = text_label()
        side.addWidget(self.status)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        side.addWidget(line)
        side.addWidget(text_label(COLLAPSE_HINT, rich=True))
        side.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(320)
        return scroll

    def _buttons(self) -> QGridLayout:
        model = self.model
        self.play_button = push_button(
            "Play", "Train continuously; press again to pause.", model.toggle_play
        )
        self.step_button = push_button(
            "Step", "One iteration: D steps per G step updates of D, then one of G.", model.step
        )
        self.step_d_button = push_button(
            "Step D",
            "Update D only: watch the green curve move, G stays put.",
            lambda: model.step(d=True, g=False),
        )
        self.step_g_button = push_button(
            "Step G",
            "Update G only: its samples move along D's slope.",
            lambda: model.step(d=False, g=True),
        )
        self.reset_button = push_button(
            "Reset", "New networks from the seed, back to iteration 0.", model.reset
        )
        grid = QGridLayout()
        grid.addWidget(self.step_button, 0, 1)
        grid.addWidget(self.reset_button, 0, 2)
        grid.addWidget(self.step_d_button, 1, 1)
        grid.addWidget(self.step_g_button, 1, 2)
        self.play_button.setMinimumHeight(2 * self.step_button.sizeHint().height())
        grid.addWidget(self.play_button, 0, 0, 2, 1)
        self.speed_spin = spin_box(1, 500, model.speed, SPEED_TIP)
        self.speed_spin.setSuffix(" iterations / frame")
        self.speed_spin.setKeyboardTracking(False)
        self.speed_spin.valueChanged.connect(model.set_speed)
        grid.addWidget(QLabel("Speed"), 2, 0)
        grid.addWidget(self.speed_spin, 2, 1, 1, 2)
        return grid

    def _readouts(self) -> QFormLayout:
        form = QFormLayout()
        self.readouts: dict[str, QLabel] = {}
        for key, (name, tip) in READOUTS.items():
            label, value = QLabel(name), QLabel("—")
            label.setToolTip(tip)
            value.setToolTip(tip)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.readouts[key] = value
            form.addRow(label, value)
        return form

    # ---- public API ---------------------------------------------------------------------------
    def play(self) -> None:
        self.model.play()

    def pause(self) -> None:
        self.model.pause()

    def shutdown(self) -> None:
        """Stop drawing and end the training loop's thread (call before the window closes)."""
        self.timer.stop()
        self.service.stop()

    # ---- the person ---------------------------------------------------------------------------
    def _on_preset_activated(self, index: int) -> None:
        if index <= 0:
            return
        name = self.preset_combo.itemText(index)
        self.preset_combo.setCurrentIndex(0)
        self.model.choose_preset(name)

    def _on_settings_changed(self) -> None:
        try:
            config = self.settings.config()
        except ConfigError as exc:
            self.model.refuse_settings(exc)
            return
        self.model.apply_settings(config)

    def _on_histogram_toggled(self, on: bool) -> None:
        self.plots.set_histogram_visible(on)
        if on and self.model.last_frame is not None:
            self.plots.show_frame(self.model.last_frame, histogram=True)

    def _on_timer_timeout(self) -> None:
        if not self.model.poll():
            self.timer.stop()  # nothing more is coming until the next command

    # ---- the model ----------------------------------------------------------------------------
    def _on_model_playing_changed(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        for button in (self.step_button, self.step_d_button, self.step_g_button):
            button.setEnabled(not playing)

    def _on_model_status_changed(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _on_model_frame_expected(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def _on_model_frame_changed(self, frame: Gan1dFrame, restarted: bool) -> None:
        self.plots.show_frame(frame, self.histogram_box.isChecked(), restarted)
        for key, text in readout_texts(frame.snapshot).items():
            self.readouts[key].setText(text)
        self.frame_drawn.emit(frame)

    # ---- visibility ---------------------------------------------------------------------------
    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        self.model.hidden()
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.model.shown()
        super().showEvent(event)
