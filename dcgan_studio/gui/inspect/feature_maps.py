"""The feature-map panel: every channel of one layer of G or D, for one sample, live.

The whole layer is one mosaic in one ImageItem (a uint8 index image and a lookup table, see
``mosaic``), so a redraw is a numpy array and a ``setImage``. Clicking a tile shows that channel
large with its statistics; the selection follows the channel through new snapshots of the layer.
Which layer and sample to probe is the ``InspectionTarget``'s: the combo boxes follow it and
change it; a snapshot of any other request (one that was on its way when the person changed
their mind) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
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

from dcgan_studio.core.snapshots import FeatureMapSnapshot, ProbeRequest
from dcgan_studio.gui.inspect.layer_names import kind_name, layer_label
from dcgan_studio.gui.inspect.model import InspectionTarget
from dcgan_studio.gui.inspect.mosaic import (
    COLOUR_MAPS,
    channel_grid,
    channel_mosaic,
    channel_stats,
    finite_range,
    lookup_table,
    order_by_mean,
    scale_to_index,
)
from dcgan_studio.gui.widgets.compact import narrow_combo
from dcgan_studio.gui.widgets.scrolling import scrolling

PLACEHOLDER = "Start training or open a run to see what each layer responds to."
NETWORKS = {"g": "G", "d": "D"}
NETWORK_CHOICES = {"g": "G · generator", "d": "D · discriminator"}
SOURCES = {"fake": "fake tile", "real": "real image"}
SCALES = {"channel": "per channel", "layer": "per layer"}


def header_text(snap: FeatureMapSnapshot) -> str:
    """ "G · relu3 (ReLU) · 64 channels of 16×16 · fake tile 0 · iteration 1200 · ..." """
    r, kind = snap.request, kind_name(snap.layer_kind)
    c, h, w = snap.activations.shape
    text = (
        f"{NETWORKS[r.network]} · {r.layer} ({kind}) · {c} channel{'s' if c != 1 else ''}"
        f" of {h}×{w} · {SOURCES[r.source]} {r.index} · iteration {snap.step}"
    )
    if snap.checkpoint:
        text += f" · from checkpoint {Path(snap.checkpoint).name}"
    return text


def _combo(choices: dict[str, str], characters: int = 8, tip: str = "") -> QComboBox:
    """A narrow combo box of ``choices`` (data -> text)."""
    box = narrow_combo(characters)
    for data, text in choices.items():
        box.addItem(text, data)
    box.setToolTip(tip)
    return box


@contextmanager
def _quiet(*widgets: QWidget) -> Iterator[None]:
    """The widgets' signals held back while they are set to what the model says."""
    with ExitStack() as stack:
        for widget in widgets:
            stack.enter_context(QSignalBlocker(widget))
        yield


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
    def __init__(self, model: InspectionTarget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.snapshot: FeatureMapSnapshot | None = None  # the one on screen
        self.order: np.ndarray | None = None  # tile -> channel of the mosaic on screen
        self.selected_channel: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._controls())
        self.stack = QStackedWidget()
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self._content())
        layout.addWidget(self.stack, 1)
        layout.addWidget(self._info_pane())
        self._connect()
        self._on_model_target_changed()
        self._on_colours_changed()

    # ---- widgets ----------------------------------------------------------------------------
    def _controls(self) -> QGridLayout:
        """Network and layer; sample; how to show it: three short rows, not two long ones (the
        right dock of a laptop is about 360 px wide)."""
        self.network_box = _combo(NETWORK_CHOICES, 6)
        self.layer_box = narrow_combo(6)
        self.layer_box.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.layer_box.setToolTip(
            "Every module of the network, in order, with its output (channels × height × width)."
        )
        self.source_box = _combo(
            SOURCES,
            tip="The fixed-noise tile G draws (and D then judges), or one of "
            "the fixed real images (only D sees those).",
        )
        self.index_box = QSpinBox()
        self.index_box.setToolTip(
            "Which tile or real image, counted from 0; click one in the sample grid to pick it."
        )
        self.scale_box = _combo(
            SCALES,
            5,
            "Per channel: each tile spans its own min..max, to see shapes. "
            "Per layer: one range for all, to compare how strong they are.",
        )
        self.colour_box = _combo({name: name for name in COLOUR_MAPS}, 5)
        self.sort_box = QCheckBox("Sort by mean")
        self.sort_box.setToolTip("Most active channel first (top left).")
        rows = (
            ("Network", (self.network_box, QLabel("Layer"), self.layer_box)),
            ("Sample", (self.source_box, self.index_box, self.sort_box)),
            ("Show", (self.scale_box, self.colour_box)),
        )
        controls = QGridLayout()
        controls.setHorizontalSpacing(6)
        for row, (label, widgets) in enumerate(rows):
            controls.addWidget(QLabel(label), row, 0)
            line = QHBoxLayout()
            for widget in widgets:
                line.addWidget(widget, 1 if widget is self.layer_box else 0)
            line.addStretch(0 if row == 0 else 1)
            controls.addLayout(line, row, 1)
        controls.setColumnStretch(1, 1)
        return controls

    def _content(self) -> QWidget:
        """The header, the mosaic of every channel, and the picked channel beside the sample."""
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
        self.graphics.setToolTip("Click a channel to see it large, with its statistics.")
        body.addWidget(self.graphics, 1)
        body.addLayout(self._detail())
        return content

    def _detail(self) -> QHBoxLayout:
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
        return detail

    def _info_pane(self) -> QWidget:
        """What the layer does: read at leisure, scrolled in a few lines, the maps keep the room."""
        self.info = QLabel()
        self.info.setObjectName("feature-info")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.RichText)
        self.info_scroll = scrolling(self.info, sideways=False)
        self.info_scroll.setMaximumHeight(8 * self.info.fontMetrics().lineSpacing())
        self.info_scroll.setVisible(False)
        return self.info_scroll

    def _connect(self) -> None:
        self.network_box.currentIndexChanged.connect(self._on_network_box_changed)
        self.layer_box.currentIndexChanged.connect(self._on_layer_box_changed)
        self.source_box.currentIndexChanged.connect(
            lambda _: self.model.select_source(self.source_box.currentData())
        )
        self.index_box.valueChanged.connect(self.model.select_index)
        self.scale_box.currentIndexChanged.connect(lambda _: self._redraw())
        self.sort_box.toggled.connect(lambda _: self._redraw())
        self.colour_box.currentIndexChanged.connect(self._on_colours_changed)
        self.graphics.scene().sigMouseClicked.connect(self._on_mosaic_clicked)
        self.model.plans_changed.connect(self._on_model_target_changed)  # the layer list too
        self.model.target_changed.connect(self._on_model_target_changed)
        self.model.request_changed.connect(self._on_model_request_changed)

    # ---- what to probe: the model's, shown in the combo boxes -------------------------------
    def set_info(self, html: str) -> None:
        self.info.setText(html)
        self.info_scroll.setVisible(bool(html))

    def _on_network_box_changed(self, _index: int) -> None:
        self.model.select_network(self.network_box.currentData())

    def _on_layer_box_changed(self, _index: int) -> None:
        layer = self.layer_box.currentData()
        if layer is not None:
            self.model.select_layer(self.network_box.currentData(), layer)

    def _on_model_target_changed(self) -> None:
        model = self.model
        with _quiet(self.network_box, self.layer_box, self.source_box, self.index_box):
            self.network_box.setCurrentIndex(self.network_box.findData(model.network))
            self._fill_layers()
            layer = model.layers.get(model.network)
            self.layer_box.setCurrentIndex(self.layer_box.findData(layer))
            self.source_box.model().item(1).setEnabled(model.network == "d")  # only D sees real
            self.source_box.setCurrentIndex(self.source_box.findData(model.source))
            self.index_box.setRange(0, model.sample_count - 1)
            self.index_box.setValue(model.index)

    def _fill_layers(self) -> None:
        """List every layer of the chosen network, unless the list shows them already."""
        plan = self.model.plans.get(self.model.network)
        items = [
            (
                layer_label(spec),
                spec.name,
                f"in {spec.in_shape} → out {spec.out_shape}\n{spec.formula()}",
            )
            for spec in (plan.layers if plan else ())
        ]
        box = self.layer_box
        shown = [
            (box.itemText(i), box.itemData(i), box.itemData(i, Qt.ToolTipRole))
            for i in range(box.count())
        ]
        if shown == items:
            return
        box.clear()
        for text, name, tip in items:
            box.addItem(text, name)
            box.setItemData(box.count() - 1, tip, Qt.ToolTipRole)

    def _on_model_request_changed(self, request: ProbeRequest) -> None:
        snap = self.snapshot
        if snap is None or (snap.request.network, snap.request.layer) != (
            request.network,
            request.layer,
        ):
            self.select_channel(None)  # another layer: its channels are others

    # ---- drawing ----------------------------------------------------------------------------
    def show_snapshot(self, snap: FeatureMapSnapshot) -> None:
        """Draw ``snap``, unless it answers a request other than the current one (stale)."""
        if snap.request != self.model.request:
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
        self.header.setText(header_text(snap))

    def _redraw(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        a = snap.activations
        self.order = order_by_mean(a) if self.sort_box.isChecked() else np.arange(len(a))
        mosaic, _cols = channel_mosaic(a, self.scale_box.currentData(), self.order)
        shown = self.mosaic_image.image
        self.mosaic_image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        if shown is None or shown.shape != mosaic.shape:
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
        x, y = channel_grid(c, h, w).origin(tile)
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
        tile = channel_grid(*self.snapshot.activations.shape).tile_at(point.x(), point.y())
        if tile is not None:
            self.select_channel(int(self.order[tile]))
