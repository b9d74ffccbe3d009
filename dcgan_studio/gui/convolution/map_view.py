"""One 2-D map of the convolution explorer: a title, the map as crisp pixels, an optional colour
bar, and a caption (the output size with its formula).

The ImageItem holds the values themselves (float, row-major) and draws them through a lookup
table with fixed levels, so ``values()`` is exactly what the explorer computed. Grey maps span
0..1 (input images); signed maps are centred on 0 with a dark middle, so a flat region reads as
black and edges of either sign glow (blue below zero, orange above); ``magnitude`` shows |value|
in grey. Hovering or clicking a pixel emits ``pixel_picked(row, col)`` (indices into the
array, wherever it is drawn).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSizePolicy, QVBoxLayout, QWidget

# dark-centred diverging map ("ice-fire"): 0 is black, negatives cool, positives warm
SIGNED_MAP = pg.ColorMap(
    pos=[0.0, 0.22, 0.5, 0.78, 1.0],
    color=[(200, 245, 255), (40, 120, 235), (0, 0, 0), (235, 85, 25), (255, 240, 150)],
)
GREY_MAP = pg.colormap.get("CET-L1")  # black -> white
HIGHLIGHT = QColor(0, 220, 120)


def _lut(cmap: pg.ColorMap) -> np.ndarray:
    return cmap.getLookupTable(0.0, 1.0, nPts=256, alpha=False)


def symmetric_peak(values: np.ndarray) -> float:
    """max |value| over the finite values, or 1 for an all-zero map (so levels are never flat)."""
    finite = np.abs(values[np.isfinite(values)])
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 0 else 1.0


def outline(colour: QColor = HIGHLIGHT, width: int = 2, dashed: bool = False) -> QGraphicsRectItem:
    """A rectangle drawn over a map (cosmetic pen: the same width at any zoom)."""
    item = QGraphicsRectItem()
    pen = QPen(colour)
    pen.setCosmetic(True)
    pen.setWidth(width)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    item.setPen(pen)
    item.setZValue(10)
    item.hide()
    return item


class MapView(QWidget):
    pixel_picked = Signal(int, int)  # row, col of the map under the pointer

    def __init__(self, title: str, colour_bar: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.title)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.setMinimumSize(120, 120)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.box = self.graphics.ci.addViewBox(
            row=0, col=0, lockAspect=True, invertY=True, enableMouse=False
        )
        self.box.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.bar: pg.ColorBarItem | None = None
        if colour_bar:
            self.bar = pg.ColorBarItem(
                values=(-1, 1), colorMap=SIGNED_MAP, width=14, interactive=False, colorMapMenu=False
            )
            self.graphics.ci.addItem(self.bar, row=0, col=1)
        layout.addWidget(self.graphics, 1)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.caption)
        self._extent: tuple[float, float, float, float] | None = None
        self.graphics.scene().sigMouseMoved.connect(self._on_scene_mouse)
        self.graphics.scene().sigMouseClicked.connect(
            lambda event: self._on_scene_mouse(event.scenePos())
        )

    # ---- what is drawn ------------------------------------------------------------------------
    def values(self) -> np.ndarray | None:
        """The array on screen (the values, not colours); None when the map is empty."""
        return self.image.image

    def show_grey(
        self,
        values: np.ndarray,
        levels: tuple[float, float] = (0.0, 1.0),
        origin: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Values from ``levels[0]`` (black) to ``levels[1]`` (white); pixel (0, 0) drawn at
        ``origin`` (negative to show padding around an image placed at 0, 0)."""
        self.image.setLookupTable(_lut(GREY_MAP))
        self._set(values, levels, origin)
        if self.bar is not None:
            self.bar.setColorMap(GREY_MAP)
            self.bar.setLevels(levels, update_items=False)

    def show_signed(self, values: np.ndarray, magnitude: bool = False) -> None:
        """Values centred on 0 (black), blue below and orange above; or |value| in grey."""
        values = np.asarray(values, dtype=np.float32)
        peak = symmetric_peak(values)
        if magnitude:
            self.show_grey(np.abs(values), (0.0, peak))
            return
        self.image.setLookupTable(_lut(SIGNED_MAP))
        self._set(values, (-peak, peak), (0.0, 0.0))
        if self.bar is not None:
            self.bar.setColorMap(SIGNED_MAP)
            self.bar.setLevels((-peak, peak), update_items=False)

    def clear_map(self, title: str | None = None) -> None:
        """No map (and ``title`` above the empty space, if given)."""
        if title is not None:
            self.title.setText(title)
        self.image.clear()
        self.caption.setText("")
        if self.bar is not None:
            self.bar.hide()

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def add_item(self, item) -> None:
        self.box.addItem(item)

    def _set(
        self, values: np.ndarray, levels: tuple[float, float], origin: tuple[float, float]
    ) -> None:
        values = np.asarray(values, dtype=np.float32)
        self.image.setImage(values, autoLevels=False, levels=levels)
        if self.bar is not None:
            self.bar.show()
        h, w = values.shape
        self.image.setRect(QRectF(origin[0], origin[1], w, h))
        extent = (origin[0], origin[1], float(w), float(h))
        if extent != self._extent:  # refit only when the size changes: no flicker while editing
            self._extent = extent
            self.box.setRange(QRectF(*extent), padding=0.02)

    # ---- pointing ----------------------------------------------------------------------------
    def _on_scene_mouse(self, pos) -> None:
        values = self.values()
        if values is None or not self.box.sceneBoundingRect().contains(pos):
            return
        point = self.box.mapSceneToView(pos)
        x, y = point.x(), point.y()
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        left, top = self._extent[:2] if self._extent else (0.0, 0.0)
        col, row = math.floor(x - left), math.floor(y - top)
        if 0 <= row < values.shape[0] and 0 <= col < values.shape[1]:
            self.pixel_picked.emit(row, col)
