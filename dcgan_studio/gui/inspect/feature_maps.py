"""The feature-map panel: every channel of one layer of G or D, for one sample, live.

The whole layer is one mosaic in one ImageItem (a uint8 index image and a lookup table, see
``mosaic``), so a redraw is a numpy array and a ``setImage``. Clicking a tile shows that channel
large with its statistics; the selection follows the channel through new snapshots of the layer.
Which layer and sample to probe goes out as a ``ProbeRequest``; a snapshot of any other request
(one that was on its way when the person changed their mind) is dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.architecture import LayerSpec, NetworkPlan
from dcgan_studio.core.snapshots import FeatureMapSnapshot, ProbeRequest
from dcgan_studio.gui.inspect.mosaic import (
    COLOUR_MAPS,
    channel_mosaic,
    channel_stats,
    finite_range,
    grid_shape,
    lookup_table,
    order_by_mean,
    scale_to_index,
    tile_at,
    tile_origin,
)
from dcgan_studio.gui.widgets.compact import narrow_combo
from dcgan_studio.gui.widgets.scrolling import scrolling

PLACEHOLDER = "Start training or open a run to see what each layer responds to."
KIND_NAMES = {
    "conv": "conv",
    "conv_transpose": "transposed conv",
    "batchnorm": "BatchNorm",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "tanh": "tanh",
    "dropout": "dropout",
}
NETWORKS = {"g": "G", "d": "D"}
SOURCES = {"fake": "fake tile", "real": "real image"}


def layer_label(spec: LayerSpec) -> str:
    """ "convT2 · transposed conv → 128×8×8" """
    c, h, w = spec.out_shape
    return f"{spec.name} · {KIND_NAMES.get(spec.kind, spec.kind)} → {c}×{h}×{w}"


def default_layer(network: str, plan: NetworkPlan) -> str:
    """G: the last ReLU (before tanh); D: the first LeakyReLU, where D's edge detectors are."""
    kind = "relu" if network == "g" else "leaky_relu"
    layers = [s.name for s in plan.layers if s.kind == kind]
    if layers:
        return layers[-1] if network == "g" else layers[0]
    return plan.layers[0].name


def _image_view(
    layout: pg.GraphicsLayout, title: str
) -> tuple[pg.LabelItem, pg.ViewBox, pg.ImageItem]:
    label = layout.addLabel(title, row=0, col=0, size="9pt")
    box = layout.addViewBox(row=1, col=0, lockAspect=True, invertY=True, enableMouse=False)
    box.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    box.addItem(image)
    return label, box, image


def _graphics() -> pg.GraphicsLayoutWidget:
    graphics = pg.GraphicsLayoutWidget()
    graphics.setBackground(None)
    graphics.ci.setContentsMargins(0, 0, 0, 0)
    return graphics


class FeatureMapPanel(QWidget):
    request_changed = Signal(object)  # ProbeRequest: probe this layer for this sample

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plans: dict[str, NetworkPlan] = {}
        self.layer_by_network: dict[str, str] = {}  # remembered when switching G <-> D
        self.snapshot: FeatureMapSnapshot | None = None  # the one on screen
        self.order: np.ndarray | None = None  # tile -> channel of the mosaic on screen
        self.selected_channel: int | None = None
        self._request: ProbeRequest | None = None  # None until set_plans
        self._mosaic_shape: tuple[int, ...] | None = None
        self._build()
        self._on_colours_changed()

    # ---- widgets ----------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        controls = QGridLayout()
        controls.setHorizontalSpacing(6)
        self.network_box = narrow_combo(6)
        self.network_box.addItem("G · generator", "g")
        self.network_box.addItem("D · discriminator", "d")
        self.layer_box = narrow_combo(6)
        self.layer_box.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.layer_box.setToolTip(
            "Every module of the network, in order, with its output (channels × height × width)."
        )
        self.source_box = narrow_combo()
        for source, text in SOURCES.items():
            self.source_box.addItem(text, source)
        self.source_box.setToolTip(
            "The fixed-noise tile G draws (and D then judges), or one of "
            "the fixed real images (only D sees those)."
        )
        self.index_box = QSpinBox()
        self.index_box.setRange(0, 63)
        self.index_box.setToolTip(
            "Which tile or real image, counted from 0; click one in the sample grid to pick it."
        )
        self.scale_box = narrow_combo(5)
        self.scale_box.addItem("per channel", "channel")
        self.scale_box.addItem("per layer", "layer")
        self.scale_box.setToolTip(
            "Per channel: each tile spans its own min..max, to see shapes. "
            "Per layer: one range for all, to compare how strong they are."
        )
        self.colour_box = narrow_combo(5)
        self.colour_box.addItems(list(COLOUR_MAPS))
        self.sort_box = QCheckBox("Sort by mean")
        self.sort_box.setToolTip("Most active channel first (top left).")
        # three short rows, not two long ones: the right dock of a laptop is about 360 px wide
        rows = (
            ("Network", (self.network_box, QLabel("Layer"), self.layer_box)),
            ("Sample", (self.source_box, self.index_box, self.sort_box)),
            ("Show", (self.scale_box, self.colour_box)),
        )
        for row, (label, widgets) in enumerate(rows):
            controls.addWidget(QLabel(label), row, 0)
            line = QHBoxLayout()
            for widget in widgets:
                line.addWidget(widget, 1 if widget is self.layer_box else 0)
            line.addStretch(0 if row == 0 else 1)
            controls.addLayout(line, row, 1)
        controls.setColumnStretch(1, 1)
        layout.addLayout(controls)

        self.stack = QStackedWidget()
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack.addWidget(self.placeholder)
        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setObjectName("feature-header")
        body.addWidget(self.header)
        self.graphics = _graphics()
        self.mosaic_box = self.graphics.ci.addViewBox(
            lockAspect=True, invertY=True, enableMouse=False
        )
        self.mosaic_box.setMenuEnabled(False)
        self.mosaic_image = pg.ImageItem(axisOrder="row-major")
        self.mosaic_box.addItem(self.mosaic_image)
        self.outline = QGraphicsRectItem()
        pen = QPen(QColor(255, 40, 40))
        pen.setCosmetic(True)
        pen.setWidth(2)
        self.outline.setPen(pen)
        self.outline.setZValue(10)
        self.outline.hide()
        self.mosaic_box.addItem(self.outline)
        self.graphics.scene().sigMouseClicked.connect(self._on_mosaic_clicked)
        self.graphics.setToolTip("Click a channel to see it large, with its statistics.")
        body.addWidget(self.graphics, 1)

        detail = QHBoxLayout()
        self.detail_graphics = _graphics()
        self.detail_graphics.setFixedSize(140, 150)
        self.detail_title, self.detail_box, self.detail_image = _image_view(
            self.detail_graphics.ci, "channel"
        )
        self.stats = QLabel("Click a channel above.")
        self.stats.setWordWrap(True)
        self.stats.setObjectName("channel-stats")
        self.stats.setAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.stats.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.sample_graphics = _graphics()
        self.sample_graphics.setFixedSize(96, 116)
        _, self.sample_box, self.sample_image = _image_view(self.sample_graphics.ci, "sample")
        detail.addWidget(self.detail_graphics)
        detail.addWidget(self.stats, 1)
        detail.addWidget(self.sample_graphics, 0, Qt.AlignTop)
        body.addLayout(detail)
        self.stack.addWidget(content)
        layout.addWidget(self.stack, 1)

        self.info = QLabel()
        self.info.setObjectName("feature-info")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.RichText)
        # what the layer does: read at leisure, scrolled in a few lines, the maps keep the room
        self.info_scroll = scrolling(self.info, sideways=False)
        self.info_scroll.setMaximumHeight(8 * self.info.fontMetrics().lineSpacing())
        self.info_scroll.setVisible(False)
        layout.addWidget(self.info_scroll)

        self.network_box.currentIndexChanged.connect(self._on_network_changed)
        self.layer_box.currentIndexChanged.connect(self._on_layer_changed)
        self.source_box.currentIndexChanged.connect(lambda _: self._emit_request())
        self.index_box.valueChanged.connect(lambda _: self._emit_request())
        self.scale_box.currentIndexChanged.connect(lambda _: self._redraw())
        self.sort_box.toggled.connect(lambda _: self._redraw())
        self.colour_box.currentIndexChanged.connect(self._on_colours_changed)
        self._sync_source_enabled()

    # ---- what to probe ----------------------------------------------------------------------
    def set_plans(self, g_plan: NetworkPlan, d_plan: NetworkPlan) -> None:
        """List every layer of the chosen network; keep each network's layer if it still exists."""
        self.plans = {"g": g_plan, "d": d_plan}
        for network, plan in self.plans.items():
            if self.layer_by_network.get(network) not in {s.name for s in plan.layers}:
                self.layer_by_network[network] = default_layer(network, plan)
        self._fill_layers()
        self._emit_request()

    def set_sample_count(self, n: int) -> None:
        """Tiles in the fixed-noise grid (and images in the real batch): the index runs 0..n-1."""
        self.index_box.setRange(0, max(0, n - 1))  # a clamped index emits a new request

    def select_sample(self, source: str, index: int) -> None:
        """A tile of the sample grid ("fake") or a real image ("real", so D) was clicked."""
        widgets = (self.network_box, self.layer_box, self.source_box, self.index_box)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if source == "real" and self.network() == "g":
                self.network_box.setCurrentIndex(self.network_box.findData("d"))
                self._fill_layers()
            self._sync_source_enabled()
            self.source_box.setCurrentIndex(self.source_box.findData(source))
            self.index_box.setValue(index)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._emit_request()

    def network(self) -> str:
        return self.network_box.currentData()

    def request(self) -> ProbeRequest | None:
        """The current request; None until ``set_plans`` gave the layers."""
        return self._request

    def set_info(self, html: str) -> None:
        self.info.setText(html)
        self.info_scroll.setVisible(bool(html))

    def _fill_layers(self) -> None:
        plan = self.plans.get(self.network())
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        if plan is not None:
            for spec in plan.layers:
                self.layer_box.addItem(layer_label(spec), spec.name)
                self.layer_box.setItemData(
                    self.layer_box.count() - 1,
                    f"in {spec.in_shape} → out {spec.out_shape}\n{spec.formula()}",
                    Qt.ToolTipRole,
                )
            self.layer_box.setCurrentIndex(
                self.layer_box.findData(self.layer_by_network[self.network()])
            )
        self.layer_box.blockSignals(False)

    def _sync_source_enabled(self) -> None:
        """Only D sees real images: G is always probed with a fixed-noise tile."""
        d = self.network() == "d"
        self.source_box.model().item(1).setEnabled(d)
        if not d and self.source_box.currentData() == "real":
            self.source_box.blockSignals(True)
            self.source_box.setCurrentIndex(0)
            self.source_box.blockSignals(False)

    def _on_network_changed(self, _index: int) -> None:
        self._sync_source_enabled()
        self._fill_layers()
        self._emit_request()

    def _on_layer_changed(self, _index: int) -> None:
        if self.layer_box.currentData() is not None:
            self.layer_by_network[self.network()] = self.layer_box.currentData()
        self._emit_request()

    def _emit_request(self) -> None:
        layer = self.layer_box.currentData()
        if not layer:
            return
        request = ProbeRequest(
            self.network(), layer, self.source_box.currentData(), self.index_box.value()
        )
        if request == self._request:
            return
        old, self._request = self._request, request
        if old is None or (old.network, old.layer) != (request.network, request.layer):
            self.select_channel(None)
        self.request_changed.emit(request)

    # ---- drawing ----------------------------------------------------------------------------
    def show_snapshot(self, snap: FeatureMapSnapshot) -> None:
        """Draw ``snap``, unless it answers a request other than the current one (stale)."""
        if snap.request != self._request:
            return
        old = self.snapshot
        if old is not None and (old.request.network, old.request.layer) != (
            snap.request.network,
            snap.request.layer,
        ):
            self.selected_channel = None
        self.snapshot = snap
        self.stack.setCurrentIndex(1)
        self._redraw()
        image = snap.image[..., 0] if snap.image.shape[-1] == 1 else snap.image
        shown = self.sample_image.image  # a real image stays the same: no redraw for it
        if shown is None or shown.shape != image.shape or not np.array_equal(shown, image):
            self.sample_image.setImage(image, autoLevels=False, levels=(0, 255))
            if shown is None or shown.shape != image.shape:
                self.sample_box.autoRange(padding=0)
        self.header.setText(self._header_text(snap))

    def _header_text(self, snap: FeatureMapSnapshot) -> str:
        r, kind = snap.request, KIND_NAMES.get(snap.layer_kind, snap.layer_kind)
        c, h, w = snap.activations.shape
        text = (
            f"{NETWORKS[r.network]} · {r.layer} ({kind}) · {c} channel{'s' if c != 1 else ''}"
            f" of {h}×{w} · {SOURCES[r.source]} {r.index} · iteration {snap.step}"
        )
        if snap.checkpoint:
            text += f" · from checkpoint {Path(snap.checkpoint).name}"
        return text

    def _redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        a = snap.activations
        self.order = order_by_mean(a) if self.sort_box.isChecked() else np.arange(len(a))
        mosaic, _cols = channel_mosaic(a, self.scale_box.currentData(), self.order)
        self.mosaic_image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        if mosaic.shape != self._mosaic_shape:
            self._mosaic_shape = mosaic.shape
            self.mosaic_box.autoRange(padding=0.01)
        self._show_selection()

    def _on_colours_changed(self, _index: int = 0) -> None:
        lut = lookup_table(self.colour_box.currentText())
        self.mosaic_image.setLookupTable(lut)
        self.detail_image.setLookupTable(lut)

    # ---- one channel ------------------------------------------------------------------------
    def select_channel(self, channel: int | None) -> None:
        """Show ``channel`` large with its statistics (None clears the selection)."""
        self.selected_channel = channel
        self._show_selection()

    def _show_selection(self) -> None:
        snap, channel = self.snapshot, self.selected_channel
        if snap is not None and channel is not None and not 0 <= channel < len(snap.activations):
            self.selected_channel = channel = None  # the layer has fewer channels now
        if snap is None or channel is None:
            self.outline.hide()
            if self.detail_image.image is not None:  # live updates with nothing picked: no redraw
                self.detail_image.clear()
                self.detail_title.setText("channel")
            self.stats.setText("Click a channel above." if snap is not None else "")
            return
        c, h, w = snap.activations.shape
        tile = int(np.flatnonzero(self.order == channel)[0])
        x, y = tile_origin(tile, grid_shape(c)[1], h, w)
        self.outline.setRect(QRectF(x - 0.5, y - 0.5, w + 1, h + 1))
        self.outline.show()
        values = snap.activations[channel]
        self.detail_image.setImage(
            scale_to_index(values, *finite_range(values)), autoLevels=False, levels=(0, 255)
        )
        self.detail_box.autoRange(padding=0)
        self.detail_title.setText(f"channel {channel}")
        self.stats.setText(channel_stats(snap.activations, channel, snap.layer_kind))

    def _on_mosaic_clicked(self, event) -> None:
        if self.snapshot is None or event.button() != Qt.LeftButton:
            return
        pos = event.scenePos()
        if not self.mosaic_box.sceneBoundingRect().contains(pos):
            return
        point = self.mosaic_box.mapSceneToView(pos)
        tile = tile_at(point.x(), point.y(), self.snapshot.activations.shape)
        if tile is not None:
            self.select_channel(int(self.order[tile]))
