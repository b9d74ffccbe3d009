"""Small views for G's images: an image box, a thumbnail pixmap and a bank of sliders.

``ImageView`` is one ViewBox with one ImageItem, created once and fed with ``setImage`` (levels
fixed to 0..255, row-major, aspect locked, no smoothing: every pixel of G's output stays a
crisp square). ``SliderBank`` is a scrollable column of labelled sliders over float values.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QSlider, QWidget

from dcgan_studio.gui.widgets.wheel_guard import guard_wheel


def displayable(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W, C) -> (H, W) for one channel (grey), else (H, W, 3)."""
    return image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image


def pixmap(image: np.ndarray, size: int) -> QPixmap:
    """A uint8 (H, W, C) image as a ``size`` x ``size`` pixmap, nearest-neighbour."""
    array = np.ascontiguousarray(displayable(image))
    h, w = array.shape[:2]
    if array.ndim == 2:
        qimage = QImage(array.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        qimage = QImage(array.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(
        qimage.scaled(
            size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
        )
    )


class ImageView(pg.GraphicsLayoutWidget):
    """One image, large, aspect locked; an optional title above it."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(None)
        self.ci.setContentsMargins(0, 0, 0, 0)
        self.title = self.ci.addLabel(title, row=0, col=0, size="9pt") if title else None
        self.box = self.ci.addViewBox(
            row=1, col=0, lockAspect=True, invertY=True, enableMouse=False
        )
        self.box.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.shown: np.ndarray | None = None  # uint8 (H, W, C) on screen
        self._shape: tuple[int, ...] | None = None

    def show_image(self, image: np.ndarray) -> None:
        self.shown = image
        self.image.setImage(displayable(image), autoLevels=False, levels=(0, 255))
        if self._shape != image.shape:
            self._shape = image.shape
            self.box.autoRange(padding=0.02)


class SliderBank(QScrollArea):
    """A column of sliders over floats in [low, high], step 0.01, each with a read-out."""

    moved = Signal(int, float)  # index, value

    def __init__(self, low: float, high: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = low, high
        self.setWidgetResizable(True)
        self._body = QWidget()
        self._grid = QGridLayout(self._body)
        self._grid.setContentsMargins(4, 2, 4, 2)
        self._grid.setVerticalSpacing(1)
        self._grid.setColumnStretch(1, 1)
        self.setWidget(self._body)
        self.sliders: list[QSlider] = []
        self.labels: list[QLabel] = []
        self.readouts: list[QLabel] = []

    def set_rows(self, names: list[str], tooltips: list[str] | None = None) -> None:
        """Make one slider per name (rebuilt only when the count changes)."""
        if len(names) != len(self.sliders):
            while self._grid.count():
                self._grid.takeAt(0).widget().deleteLater()
            self.sliders, self.labels, self.readouts = [], [], []
            for index in range(len(names)):
                label, slider, readout = QLabel(), QSlider(Qt.Orientation.Horizontal), QLabel()
                slider.setRange(round(self.low * 100), round(self.high * 100))
                slider.valueChanged.connect(lambda v, i=index: self._on_slider_moved(i, v))
                readout.setMinimumWidth(44)
                readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                for column, widget in enumerate((label, slider, readout)):
                    self._grid.addWidget(widget, index, column)
                self.sliders.append(slider)
                self.labels.append(label)
                self.readouts.append(readout)
            self._grid.setRowStretch(len(names), 1)
            guard_wheel(self._body)  # the wheel scrolls the rows; a slider takes it once clicked
        for index, name in enumerate(names):
            self.labels[index].setText(name)
            tip = tooltips[index] if tooltips else ""
            self.labels[index].setToolTip(tip)
            self.sliders[index].setToolTip(tip)

    def set_values(self, values: np.ndarray) -> None:
        """Move the sliders to ``values`` (clamped to the range) without emitting ``moved``."""
        for slider, readout, value in zip(self.sliders, self.readouts, values):
            slider.blockSignals(True)
            slider.setValue(round(float(np.clip(value, self.low, self.high)) * 100))
            slider.blockSignals(False)
            readout.setText(f"{float(value):+.2f}")

    def _on_slider_moved(self, index: int, position: int) -> None:
        value = position / 100.0
        self.readouts[index].setText(f"{value:+.2f}")
        self.moved.emit(index, value)
