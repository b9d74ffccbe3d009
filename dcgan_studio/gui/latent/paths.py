"""The Interpolate and Arithmetic tabs: which pinned vectors, and what G made of them.

Views of ``pinned.Interpolation`` and ``pinned.Arithmetic``: they change the choice, and show
the images the space renders for it (keys "strip", "operands", "arithmetic").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
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

from dcgan_studio.core.grid import make_grid
from dcgan_studio.gui.latent.pinned import SLOTS, Arithmetic, Interpolation, PinnedVectors
from dcgan_studio.gui.latent.shelf import VectorPicker
from dcgan_studio.gui.widgets.image_view import ImageView
from dcgan_studio.gui.widgets.play_button import PlayButton, scrub_row

SLERP_TIP = (
    "Spherical (slerp) follows the great circle between the vectors. Random z in 100 "
    "dimensions all lie near a sphere of radius about 10 (√nz); the straight line "
    "between two of them dips inside it, to vectors G hardly ever saw in training, so "
    "linear paths tend to look washed out midway. Linear is kept for comparison."
)
METHOD_NAMES = {"spherical": "spherical (slerp)", "linear": "linear"}


class InterpolationPanel(QWidget):
    def __init__(
        self, interpolation: Interpolation, shelf: PinnedVectors, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.interpolation = interpolation
        self.frames: np.ndarray | None = None  # uint8 (K, H, W, C): the strip on screen
        self._step = 1  # +1 or -1: the way Play goes along the path
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.picker = VectorPicker(
            interpolation.through,
            shelf,
            "Through:",
            "Pick two or more pinned vectors, in the order the path should visit them.",
        )
        layout.addWidget(self.picker)
        layout.addLayout(self._build_options())
        self.strip = ImageView()
        self.strip.setFixedHeight(52)
        self.strip.setToolTip("The whole path, one frame per step.")
        layout.addWidget(self.strip)
        self.frame_view = ImageView()
        self.frame_view.setToolTip("The frame at t, large.")
        self.frame_view.setMaximumHeight(220)  # the strip above shows every frame already
        self.frame_view.setMinimumHeight(72)  # with the slider under it, always in sight
        layout.addWidget(self.frame_view, 1)
        layout.addLayout(self._build_scrubber())
        self.hint = QLabel("Pin two or more vectors, then add them here in order.")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        interpolation.changed.connect(self._on_interpolation_changed)

    def _build_options(self) -> QHBoxLayout:
        options = QHBoxLayout()
        self.method = QComboBox()
        for method, name in METHOD_NAMES.items():
            self.method.addItem(name, method)
        self.method.setToolTip(SLERP_TIP)
        self.method.currentIndexChanged.connect(
            lambda _: self.interpolation.set_method(self.method.currentData())
        )
        self.frame_count = QSpinBox()
        self.frame_count.setRange(2, 64)
        self.frame_count.setValue(self.interpolation.frames)
        self.frame_count.setToolTip(
            "How many frames the strip and the animation have, both ends included."
        )
        self.frame_count.valueChanged.connect(self.interpolation.set_frames)
        for widget in (QLabel("Method"), self.method, QLabel("Frames"), self.frame_count):
            options.addWidget(widget)
        options.addStretch(1)
        return options

    def _build_scrubber(self) -> QHBoxLayout:
        self.play_button = PlayButton(
            "Animate t back and forth along the path.", self.interpolation.frame_ms, self._advance
        )
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, self.interpolation.frames - 1)
        self.t_slider.setToolTip("t: where along the path the large frame is.")
        self.t_slider.valueChanged.connect(self._show_frame)
        self.t_label = QLabel("t = 0.00")
        self.t_label.setMinimumWidth(64)
        return scrub_row(self.play_button, self.t_slider, self.t_label)

    def _on_interpolation_changed(self) -> None:
        """Changed from elsewhere too: the fields follow, without telling the model again."""
        self.method.blockSignals(True)
        self.method.setCurrentIndex(self.method.findData(self.interpolation.method))
        self.method.blockSignals(False)
        self.frame_count.blockSignals(True)
        self.frame_count.setValue(self.interpolation.frames)
        self.frame_count.blockSignals(False)

    def show_frames(self, frames: np.ndarray) -> None:
        self.frames = frames
        self.strip.show_image(make_grid(frames, len(frames), padding=0))  # (H, K*W, C)
        self.t_slider.setRange(0, len(frames) - 1)
        self.hint.setText(
            f"{len(frames)} frames, {self.method.currentText()}: "
            + " → ".join(self.interpolation.names())
        )
        self._show_frame(self.t_slider.value())

    def stop(self) -> None:
        self.play_button.setChecked(False)

    def _show_frame(self, index: int) -> None:
        if self.frames is None or index >= len(self.frames):
            return
        self.frame_view.show_image(self.frames[index])
        self.t_label.setText(f"t = {index / max(1, len(self.frames) - 1):.2f}")

    def _advance(self) -> None:
        """One frame on, turning back at either end."""
        top = self.t_slider.maximum()
        value = self.t_slider.value() + self._step
        if not 0 <= value <= top:
            self._step = -self._step
            value = self.t_slider.value() + self._step
        self.t_slider.setValue(max(0, min(top, value)))


class ArithmeticPanel(QWidget):
    def __init__(
        self,
        arithmetic: Arithmetic,
        shelf: PinnedVectors,
        use_result: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.arithmetic = arithmetic
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
        for slot, caption in zip(SLOTS, ("A", "− B", "+ C")):
            picker = VectorPicker(
                arithmetic.slots[slot],
                shelf,
                caption,
                f"The vectors of slot {slot}; with several, their mean is used.",
                joiner=" + ",
                one_line=True,
            )
            picker.caption.setMinimumWidth(28)
            self.slots[slot] = picker
            layout.addWidget(picker)
        layout.addLayout(self._build_views(), 1)
        layout.addLayout(self._build_hint(use_result))

    def _build_views(self) -> QGridLayout:
        views = QGridLayout()
        titles = {"A": "mean A", "B": "mean B", "C": "mean C", "result": "A − B + C"}
        self.views = {name: ImageView(title) for name, title in titles.items()}
        for column, view in enumerate(self.views.values()):
            view.setMinimumHeight(64)  # the four images stay in sight in a short tab
            views.addWidget(view, 0, column)
        return views

    def _build_hint(self, use_result: Callable[[], None]) -> QHBoxLayout:
        row = QHBoxLayout()
        self.hint = QLabel("Fill all three slots to see the result.")
        self.hint.setWordWrap(True)
        self.use_button = QPushButton("Use the result")
        self.use_button.setToolTip(
            "Make A − B + C the current vector: pin it, save it, or move it with the sliders."
        )
        self.use_button.clicked.connect(use_result)
        row.addWidget(self.hint, 1)
        row.addWidget(self.use_button)
        return row

    def show_operands(self, images: np.ndarray) -> None:
        for name, image in zip(SLOTS, images):
            self.views[name].show_image(image)

    def show_result(self, image: np.ndarray) -> None:
        self.views["result"].show_image(image)
        self.hint.setText(self.arithmetic.expression())
