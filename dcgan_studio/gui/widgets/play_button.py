"""A Play / Pause button with its own timer: while it is pressed in, ``advance`` runs every
``interval_ms`` (the next frame of an animation, the next saved grid); and the row it sits in,
before the slider it moves and the label that says where that is."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget


class PlayButton(QPushButton):
    def __init__(
        self,
        tooltip: str,
        interval_ms: int,
        advance: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Play", parent)
        self.setCheckable(True)
        self.setToolTip(tooltip)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(advance)
        self.toggled.connect(self._on_toggled)

    def _on_toggled(self, on: bool) -> None:
        self.setText("Pause" if on else "Play")
        if on:
            self.timer.start()
        else:
            self.timer.stop()


def scrub_row(play: PlayButton, slider: QSlider, label: QLabel) -> QHBoxLayout:
    """Play, the slider it moves (taking the room), and where the slider is, in words."""
    row = QHBoxLayout()
    row.addWidget(play)
    row.addWidget(slider, 1)
    row.addWidget(label)
    return row
