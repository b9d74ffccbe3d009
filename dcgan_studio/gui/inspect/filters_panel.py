"""The kernels nearest the pixels: D's first convolution and G's last transposed one, tiled.

Each network's kernels are one mosaic in one ImageItem (not one item per kernel), drawn with
nearest-neighbour pixels in an aspect-locked view. One-channel kernels use a diverging map that is
symmetric around zero (negative blue, zero white, positive red); three-channel kernels are shown
as colour images, each stretched to [0, 1]. Scaling is per kernel (every kernel's pattern is
visible) or shared (their strengths compare). The kernels are tiled as the feature maps'
channels are (``mosaic.channel_grid``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedLayout, QVBoxLayout, QWidget

from dcgan_studio.core.snapshots import FiltersSnapshot
from dcgan_studio.gui.inspect.mosaic import channel_grid
from dcgan_studio.gui.widgets.colours import NEGATIVE, POSITIVE, diverging_rgb

# between tiles: grey beside the white of a zero weight, dark beside greyish colour kernels
GAP_COLOUR, RGB_GAP_COLOUR = (165, 165, 165), (40, 40, 40)


def kernel_mosaic(weights: np.ndarray, per_kernel: bool = True) -> tuple[np.ndarray, int]:
    """(N, C, k, k) weights -> (uint8 (H, W, 3) mosaic, cols).

    C == 3: kernel i is an RGB image, (w - min) / (max - min) over the kernel (or over all
    kernels when not ``per_kernel``). Otherwise each (kernel, channel) k x k slice is a tile (for
    C == 1, one per kernel) in the diverging map, w / max|w| over the tile or over all."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 4 or w.shape[2] != w.shape[3]:
        raise ValueError(f"weights must be (N, C, k, k), not {w.shape}")
    w = np.where(np.isfinite(w), w, 0.0)
    n, channels, k, _ = w.shape
    if channels == 3:
        tiles = w.transpose(0, 2, 3, 1)  # (N, k, k, 3)
        axes = (1, 2, 3) if per_kernel else None
        lo = tiles.min(axis=axes, keepdims=True)
        span = tiles.max(axis=axes, keepdims=True) - lo
        unit = np.where(span > 0, (tiles - lo) / np.where(span > 0, span, 1.0), 0.5)
        rgb = np.rint(unit * 255).astype(np.uint8)
    else:
        tiles = w.reshape(n * channels, k, k)
        peak = np.abs(tiles).max(axis=(1, 2) if per_kernel else None, keepdims=True)
        rgb = diverging_rgb(tiles / np.where(peak > 0, peak, 1.0))
    gap = RGB_GAP_COLOUR if channels == 3 else GAP_COLOUR
    grid = channel_grid(len(rgb), k, k)  # the feature maps' layout
    return grid.compose(rgb, gap), grid.cols


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class _KernelView:
    """A titled, aspect-locked view of one mosaic (a single ImageItem)."""

    def __init__(self, layout: pg.GraphicsLayout, title: str) -> None:
        self.title = pg.LabelItem(title)
        self.box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.box.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.shown: np.ndarray | None = None

    def show(self, mosaic: np.ndarray) -> None:
        if self.shown is None or self.shown.shape != mosaic.shape:
            self.box.setRange(
                xRange=(0, mosaic.shape[1]), yRange=(0, mosaic.shape[0]), padding=0.02
            )
        self.image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        self.shown = mosaic


class FiltersPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.snapshot: FiltersSnapshot | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._toolbar())
        self.stack = QStackedLayout()
        layout.addLayout(self.stack, 1)
        self.placeholder = QLabel(
            "The kernels of D's first layer and G's last layer appear here\n"
            "once training takes its first snapshot of them."
        )
        self.placeholder.setObjectName("filters-placeholder")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setStyleSheet("QLabel { color: #888; }")
        self.stack.addWidget(self.placeholder)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setToolTip(
            "The weights nearest the pixels. D's first layer: the patterns D looks for in an "
            "image patch (edges, blobs, colours). G's last layer: the stamp each of G's hidden "
            "channels paints onto the image. Random noise at the start; structure means "
            "learning."
        )
        self.stack.addWidget(self.graphics)
        self.views = {
            "d": _KernelView(self.graphics.ci, "D's first layer"),
            "g": _KernelView(self.graphics.ci, "G's last layer"),
        }
        self.stacked: bool | None = None  # the views one above the other (a tall panel)
        self._arrange(stacked=False)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        # side by side in a wide panel, one above the other in a tall one (the right dock):
        # the mosaics, which are square, then fill the panel instead of a strip across it
        self._arrange(stacked=event.size().height() > 1.2 * event.size().width())

    def _arrange(self, stacked: bool) -> None:
        if stacked == self.stacked:
            return
        self.stacked = stacked
        grid = self.graphics.ci
        for view in self.views.values():
            for item in (view.title, view.box):
                if item.parentItem() is not None:
                    grid.removeItem(item)
        for index, view in enumerate(self.views.values()):
            row, col = (2 * index, 0) if stacked else (0, index)
            grid.addItem(view.title, row=row, col=col)
            grid.addItem(view.box, row=row + 1, col=col)
        layout = grid.layout
        for i in range(4):  # the two views the same size, whatever their titles
            layout.setColumnStretchFactor(i, 1 if i < (1 if stacked else 2) else 0)
            layout.setRowStretchFactor(i, 1 if (i % 2 == 1 if stacked else i == 1) else 0)

    def _toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.step_label = QLabel("")
        self.step_label.setObjectName("filters-step")
        bar.addWidget(self.step_label)
        self.key_label = QLabel("")
        self.key_label.setObjectName("filters-key")
        self.key_label.setWordWrap(True)  # a narrow dock wraps it, never widens for it
        self.key_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addWidget(self.key_label, 1)
        bar.addSpacing(8)
        bar.addWidget(QLabel("scale:"))
        self.scale_box = QComboBox()
        self.scale_box.addItem("per kernel", True)
        self.scale_box.addItem("shared", False)
        self.scale_box.setToolTip(
            "Per kernel: each kernel is stretched to its own range, so every pattern shows. "
            "Shared: one range for all kernels of a layer, so their strengths compare."
        )
        self.scale_box.currentIndexChanged.connect(self._on_scale_changed)
        bar.addWidget(self.scale_box)
        return bar

    @property
    def per_kernel(self) -> bool:
        return bool(self.scale_box.currentData())

    def show_filters(self, snap: FiltersSnapshot) -> None:
        self.snapshot = snap
        self.step_label.setText(f"iteration {snap.step}")
        for which, weights, verb in (("d", snap.d_first, "seeing"), ("g", snap.g_last, "drawing")):
            n, channels, k = weights.shape[0], weights.shape[1], weights.shape[2]
            layer = "D's first layer" if which == "d" else "G's last layer"
            self.views[which].title.setText(  # two lines: side by side, the views are narrow
                f"<b>{layer}:</b><br>{_plural(n, 'kernel')} {k}×{k}, "
                f"{verb} {_plural(channels, 'channel')}"
            )
        self._render()
        self.stack.setCurrentWidget(self.graphics)

    def _render(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        for which, weights in (("d", snap.d_first), ("g", snap.g_last)):
            self.views[which].show(kernel_mosaic(weights, self.per_kernel)[0])
        if snap.d_first.shape[1] == 3:
            over = "each kernel's" if self.per_kernel else "all kernels'"
            self.key_label.setText(f"colour: R, G, B weights, {over} min to max")
        else:
            self.key_label.setText(
                f"<span style='color:{NEGATIVE}'>■</span> negative &nbsp;"
                "<span style='color:#bbb'>□</span> zero &nbsp;"
                f"<span style='color:{POSITIVE}'>■</span> positive"
            )

    def _on_scale_changed(self, _index: int) -> None:
        self._render()

    def mosaic(self, which: str) -> np.ndarray:
        """The RGB mosaic shown for "d" or "g" now (empty before the first snapshot)."""
        shown = self.views[which].shown
        return shown if shown is not None else np.zeros((0, 0, 3), np.uint8)
