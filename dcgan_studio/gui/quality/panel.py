"""The Quality tab: KID (log scale, with its ± std band) and the Frechet distance (log scale)
over the iterations, and, for digit data, how many of G's samples look like each class.

A view of a ``QualityModel``: redrawn when it changes. The dashed cursor follows the history
scrubber, and the bars show the score at the cursor (the newest without one). Beside them, the
real images nearest to a tile clicked in the sample grid (``NearestView``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from dcgan_studio.gui.quality.model import QualityModel
from dcgan_studio.gui.quality.nearest_view import NearestView
from dcgan_studio.gui.widgets.line_plots import Placeholder, SteadyViewBox, show_light_grid
from dcgan_studio.gui.widgets.step_cursor import add_step_cursor, move_step_cursors

KID_COLOUR, FD_COLOUR, BAR_COLOUR = "#7b5ea7", "#2ca58d", "#4c9be8"
KID_TIP = (
    "<b>KID</b> (Kernel Inception Distance): how far G's samples are from held-out real images "
    "in the feature space named above; 0 is indistinguishable. Unbiased, so it can dip below "
    "0 by chance; the band is its standard deviation over random subsets. Lower is better."
)
FD_TIP = (
    "<b>Frechet distance</b>: FID's formula (distance between Gaussians fitted to the features "
    "of real and generated images) in the feature space named above. Lower is better; it has "
    "a bias that grows as fewer samples are scored."
)
CLASSES_TIP = (
    "How many of G's samples the digit classifier recognises as each digit, with a "
    "probability above 0.9. Ten even bars: G draws every digit. One or two tall bars: G has "
    "collapsed onto a few modes."
)
INTERVAL_TIP = (
    "While training runs, G's newest weights are scored every this many seconds on a thread "
    "of their own (0: not at all). Each score takes about a second of CPU time."
)


class QualityPanel(QWidget):
    step_clicked = Signal(int)

    def __init__(self, model: QualityModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.cursor_step: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._toolbar())
        self.graphics = pg.GraphicsLayoutWidget()
        self.nearest = NearestView()
        row = QHBoxLayout()
        row.addWidget(self.graphics, 1)
        row.addWidget(self.nearest)
        layout.addLayout(row, 1)
        self.kid_plot = self.graphics.addPlot(row=0, col=0, viewBox=SteadyViewBox())
        self.fd_plot = self.graphics.addPlot(row=1, col=0, viewBox=SteadyViewBox())
        self.fd_plot.setXLink(self.kid_plot)
        self.class_plot = self.graphics.addPlot(row=0, col=1, rowspan=2)
        self.graphics.ci.layout.setColumnStretchFactor(0, 3)
        self.graphics.ci.layout.setColumnStretchFactor(1, 1)
        self.kid_plot.setLabel("left", "KID")
        self.kid_plot.setLogMode(y=True)
        self.fd_plot.setLabel("left", "Frechet distance")
        self.fd_plot.setLogMode(y=True)  # from ~100 at the start to a few: both ends in sight
        self.fd_plot.setLabel("bottom", "iteration")
        self.class_plot.setLabel("bottom", "class")
        self.class_plot.setLabel("left", "samples")
        self.class_plot.setMouseEnabled(x=False, y=False)
        self.kid_plot.setToolTip(KID_TIP)
        self.fd_plot.setToolTip(FD_TIP)
        self.class_plot.setToolTip(CLASSES_TIP)
        self.line_plots = (self.kid_plot, self.fd_plot)
        self.cursors = []
        for plot in self.line_plots:
            show_light_grid(plot)
            self.cursors.append(add_step_cursor(plot))
            plot.scene().sigMouseClicked.connect(self._on_scene_clicked)
        show_light_grid(self.class_plot, x=False)
        self.kid_curve = self.kid_plot.plot(
            pen=pg.mkPen(KID_COLOUR, width=2), symbol="o", symbolSize=5, symbolBrush=KID_COLOUR
        )
        band = pg.mkColor(KID_COLOUR)
        band.setAlpha(50)
        # the band's edges are in the plot, so they take its log scale; the fill follows them
        self.kid_low = self.kid_plot.plot(pen=None)
        self.kid_high = self.kid_plot.plot(pen=None)
        self.kid_band = pg.FillBetweenItem(self.kid_low, self.kid_high, brush=band)
        self.kid_plot.addItem(self.kid_band)
        self.fd_curve = self.fd_plot.plot(
            pen=pg.mkPen(FD_COLOUR, width=2), symbol="o", symbolSize=5, symbolBrush=FD_COLOUR
        )
        self.bars = pg.BarGraphItem(
            x=np.arange(10), height=np.zeros(10), width=0.7, brush=BAR_COLOUR
        )
        self.class_plot.addItem(self.bars)
        self.placeholders = [
            Placeholder(
                self.kid_plot,
                "KID of G's samples against real images appears here<br>"
                "a few seconds after training starts",
            ),
            Placeholder(self.fd_plot, "the Frechet distance, in the same feature space"),
            Placeholder(self.class_plot, "for digits: how many<br>of each G draws"),
        ]
        model.changed.connect(self.refresh)
        model.status_changed.connect(self._on_model_status_changed)
        model.indexing.connect(self.nearest.show_indexing)
        model.nearest_found.connect(self.nearest.show_found)
        model.nearest_failed.connect(self.nearest.show_error)
        self.refresh()

    def _toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.space_label = QLabel()
        self.space_label.setWordWrap(True)
        self.space_label.setStyleSheet("color: #666;")
        bar.addWidget(self.space_label, 1)
        self.summary = QLabel()
        self.summary.setWordWrap(True)  # a long line never holds the window wide
        bar.addWidget(self.summary, 2)
        bar.addWidget(QLabel("Score every"))
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 3600)
        self.interval_spin.setSuffix(" s")
        self.interval_spin.setValue(int(self.model.interval_s))
        self.interval_spin.setToolTip(INTERVAL_TIP)
        self.interval_spin.valueChanged.connect(self._on_interval_changed)
        bar.addWidget(self.interval_spin)
        return bar

    # ---- drawing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        model = self.model
        steps = model.column("step")
        empty = len(steps) == 0
        self.placeholders[0].show(empty)
        self.placeholders[1].show(empty)
        kid, std = model.column("kid"), model.column("kid_std")
        floor = 1e-5  # KID is unbiased and can dip below 0; a log axis shows it at the floor
        self.kid_curve.setData(steps, np.maximum(kid, floor))
        self.kid_low.setData(steps, np.maximum(kid - std, floor))
        self.kid_high.setData(steps, np.maximum(kid + std, floor))
        self.fd_curve.setData(steps, np.maximum(model.column("fd"), floor))
        space = model.space_label or "the feature space is chosen when the first score is made"
        self.space_label.setText(f"Scored in: {space}")
        self._show_classes()

    def _show_classes(self) -> None:
        score = self.model.at(self.cursor_step)
        classes = score.classes if score is not None else None
        self.placeholders[2].show(classes is None)
        if classes is None:
            self.bars.setOpts(x=np.arange(10), height=np.zeros(10))
            self.summary.setText("" if score is None else self._numbers(score))
            return
        self.bars.setOpts(x=np.arange(len(classes)), height=np.asarray(classes, float))
        self.class_plot.setXRange(-0.6, len(classes) - 0.4, padding=0)
        self.class_plot.getAxis("bottom").setTicks([[(i, str(i)) for i in range(len(classes))]])
        self.class_plot.setTitle(f"iteration {score.step}", size="9pt")
        self.summary.setText(self._numbers(score))

    @staticmethod
    def _numbers(score) -> str:
        text = (
            f"iteration {score.step}: KID {score.kid:.4f} ± {score.kid_std:.4f}, FD {score.fd:.1f}"
        )
        if score.coverage is not None and score.confident is not None:
            text += (
                f"; {score.confident:.0%} recognisable, "
                f"{score.coverage} of {len(score.classes or [])} classes"
            )
        return text

    def set_cursor(self, step: int | None) -> None:
        """The history scrubber's step: the cursor moves there, the bars show its score."""
        self.cursor_step = step
        move_step_cursors(self.cursors, step)
        self._show_classes()

    # ---- handlers -----------------------------------------------------------------------------
    def _on_model_status_changed(self, text: str) -> None:
        self.space_label.setToolTip(text)
        self.summary.setToolTip(text)
        if not self.model.scores:
            self.summary.setText(text)

    def _on_interval_changed(self, value: int) -> None:
        self.model.interval_s = value

    def _on_scene_clicked(self, event) -> None:
        steps = self.model.column("step")
        for plot in self.line_plots:
            if len(steps) and plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.vb.mapSceneToView(event.scenePos()).x()
                step = int(steps[np.abs(steps - x).argmin()])
                self.set_cursor(step)
                self.step_clicked.emit(step)
                return
