"""The explorer's Interpolate and Arithmetic tabs: which pinned vectors, and what G made of them.

These views only choose vectors and show images; the explorer asks its render service for the
images (keys "strip", "operands", "arithmetic") and hands them back here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.latent import arithmetic, mean_vector, path
from dcgan_studio.gui.latent.shelf import Shelf, VectorPicker
from dcgan_studio.gui.widgets.image_view import ImageView

SLERP_TIP = (
    "Spherical (slerp) follows the great circle between the vectors. Random z in 100 "
    "dimensions all lie near a sphere of radius about 10 (√nz); the straight line "
    "between two of them dips inside it, to vectors G hardly ever saw in training, so "
    "linear paths tend to look washed out midway. Linear is kept for comparison."
)


class InterpolationPanel(QWidget):
    path_changed = Signal()  # the vectors, method or frame count changed: render the strip again

    def __init__(self, shelf: Shelf, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames: np.ndarray | None = None  # uint8 (K, H, W, C) of the strip on screen
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.picker = VectorPicker(
            shelf,
            "Through:",
            "Pick two or more pinned vectors, in the order the path should visit them.",
        )
        self.picker.changed.connect(self.path_changed)
        layout.addWidget(self.picker)
        options = QHBoxLayout()
        self.method = QComboBox()
        self.method.addItem("spherical (slerp)", "spherical")
        self.method.addItem("linear", "linear")
        self.method.setToolTip(SLERP_TIP)
        self.method.currentIndexChanged.connect(lambda _: self.path_changed.emit())
        self.frame_count = QSpinBox()
        self.frame_count.setRange(2, 64)
        self.frame_count.setValue(10)
        self.frame_count.setToolTip(
            "How many frames the strip and the animation have, both ends included."
        )
        self.frame_count.valueChanged.connect(lambda _: self.path_changed.emit())
        options.addWidget(QLabel("Method"))
        options.addWidget(self.method)
        options.addWidget(QLabel("Frames"))
        options.addWidget(self.frame_count)
        options.addStretch(1)
        layout.addLayout(options)
        self.strip = ImageView()
        self.strip.setFixedHeight(52)
        self.strip.setToolTip("The whole path, one frame per step.")
        layout.addWidget(self.strip)
        self.frame_view = ImageView()
        self.frame_view.setToolTip("The frame at t, large.")
        self.frame_view.setMaximumHeight(220)  # the strip above shows every frame already
        self.frame_view.setMinimumHeight(72)  # with the slider under it, always in sight
        layout.addWidget(self.frame_view, 1)
        scrub = QHBoxLayout()
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Animate t back and forth along the path.")
        self.play_button.toggled.connect(self._on_play_toggled)
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, 9)
        self.t_slider.setToolTip("t: where along the path the large frame is.")
        self.t_slider.valueChanged.connect(self._show_frame)
        self.t_label = QLabel("t = 0.00")
        self.t_label.setMinimumWidth(64)
        scrub.addWidget(self.play_button)
        scrub.addWidget(self.t_slider, 1)
        scrub.addWidget(self.t_label)
        layout.addLayout(scrub)
        self.hint = QLabel("Pin two or more vectors, then add them here in order.")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._advance)
        self._direction = 1

    def path_z(self) -> np.ndarray | None:
        """(K, nz) along the chosen vectors, or None while fewer than two are chosen."""
        vectors = self.picker.vectors()
        if len(vectors) < 2:
            return None
        return path(vectors, self.frame_count.value(), self.method.currentData())

    def recipe(self) -> dict[str, Any]:
        return {
            "method": self.method.currentData(),
            "frames": self.frame_count.value(),
            "vectors": self.picker.names(),
        }

    def show_frames(self, frames: np.ndarray) -> None:
        self.frames = frames
        self.strip.show_image(np.concatenate(list(frames), axis=1))  # (H, K*W, C)
        self.t_slider.setRange(0, len(frames) - 1)
        self.hint.setText(
            f"{len(frames)} frames, {self.method.currentText()}: " + " → ".join(self.picker.names())
        )
        self._show_frame(self.t_slider.value())

    def _show_frame(self, index: int) -> None:
        if self.frames is None or index >= len(self.frames):
            return
        self.frame_view.show_image(self.frames[index])
        self.t_label.setText(f"t = {index / max(1, len(self.frames) - 1):.2f}")

    def _on_play_toggled(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def _advance(self) -> None:
        top = self.t_slider.maximum()
        value = self.t_slider.value() + self._direction
        if not 0 <= value <= top:
            self._direction = -self._direction
            value = self.t_slider.value() + self._direction
        self.t_slider.setValue(max(0, min(top, value)))


class ArithmeticPanel(QWidget):
    operands_changed = Signal()

    def __init__(self, shelf: Shelf, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        intro = QLabel(
            "A − B + C, as in the DCGAN paper: pinned vectors in each slot (several are averaged)."
        )
        intro.setToolTip(
            "The DCGAN paper averaged the z of three “smiling woman” samples, took "
            "away “neutral woman”, added “neutral man”, and G drew smiling men: "
            "directions in z carry meaning."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.slots: dict[str, VectorPicker] = {}
        for slot, caption in (("A", "A"), ("B", "− B"), ("C", "+ C")):
            picker = VectorPicker(
                shelf,
                caption,
                f"The vectors of slot {slot}; with several, their mean is used.",
                joiner=" + ",
                one_line=True,
            )
            picker.caption.setMinimumWidth(28)
            picker.changed.connect(self.operands_changed)
            self.slots[slot] = picker
            layout.addWidget(picker)
        views = QGridLayout()
        self.views = {
            name: ImageView(title)
            for name, title in (
                ("A", "mean A"),
                ("B", "mean B"),
                ("C", "mean C"),
                ("result", "A − B + C"),
            )
        }
        for column, view in enumerate(self.views.values()):
            view.setMinimumHeight(64)  # the four images stay in sight in a short tab
            views.addWidget(view, 0, column)
        layout.addLayout(views, 1)
        self.hint = QLabel("Fill all three slots to see the result.")
        self.hint.setWordWrap(True)
        self.hint_row = QHBoxLayout()  # the explorer adds its "Use the result" beside it
        self.hint_row.addWidget(self.hint, 1)
        layout.addLayout(self.hint_row)

    def operands(self) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] | None:
        a, b, c = (self.slots[s].vectors() for s in "ABC")
        return (a, b, c) if a and b and c else None

    def operand_means(self) -> np.ndarray | None:
        """(3, nz): mean A, mean B, mean C."""
        operands = self.operands()
        return None if operands is None else np.stack([mean_vector(v) for v in operands])

    def result_z(self) -> np.ndarray | None:
        operands = self.operands()
        return None if operands is None else arithmetic(*operands)[None]

    def recipe(self) -> dict[str, Any]:
        return {"arithmetic": {s: self.slots[s].names() for s in "ABC"}}

    def show_operands(self, images: np.ndarray) -> None:
        for name, image in zip("ABC", images):
            self.views[name].show_image(image)

    def show_result(self, image: np.ndarray) -> None:
        self.views["result"].show_image(image)
        a, b, c = ("(" + " + ".join(self.slots[s].names()) + ")" for s in "ABC")
        self.hint.setText(f"{a} − {b} + {c}")
