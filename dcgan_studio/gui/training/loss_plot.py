"""Loss curves: loss_D and loss_G above, D(x) and D(G(z)) below, against the step.

Curves are created once and fed with ``setData`` from the window's redraw timer; long histories
stay smooth with peak downsampling and clip-to-view. Each series is drawn twice: the raw values
faint, the EMA-smoothed values bold.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from dcgan_studio.core.concepts import topic
from dcgan_studio.core.history import LossHistory
from dcgan_studio.gui.widgets.line_plots import Placeholder, SteadyViewBox, show_light_grid
from dcgan_studio.gui.widgets.step_cursor import add_step_cursor, move_step_cursors

# series -> (label, colour, which plot)
SERIES = {
    "loss_d": ("loss D", "#e4572e", 0),
    "loss_g": ("loss G", "#4c9be8", 0),
    "d_x": ("D(x)", "#2ca58d", 1),
    "d_g_z1": ("D(G(z))", "#f2a541", 1),
}


class LossPlotWidget(QWidget):
    step_clicked = Signal(int)

    def __init__(self, history: LossHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.smoothing = 0.6
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._toolbar())
        self.graphics = pg.GraphicsLayoutWidget()
        layout.addWidget(self.graphics, 1)
        self.loss_plot = self.graphics.addPlot(row=0, col=0, viewBox=SteadyViewBox())
        self.d_plot = self.graphics.addPlot(row=1, col=0, viewBox=SteadyViewBox())
        self.d_plot.setXLink(self.loss_plot)
        self.loss_plot.setLabel("left", "loss")
        self.d_plot.setLabel("left", "D's output")
        self.d_plot.setLabel("bottom", "iteration")
        self.d_plot.setYRange(0, 1)
        explained = topic("d_outputs")
        self.d_plot.setToolTip(f"<b>{explained.title}</b>{explained.long}")
        self.plots = (self.loss_plot, self.d_plot)
        self.raw: dict[str, pg.PlotDataItem] = {}
        self.smooth: dict[str, pg.PlotDataItem] = {}
        self.cursors = []
        self.placeholders = [
            Placeholder(
                self.loss_plot, "loss D and loss G appear here once training logs its first step"
            ),
            Placeholder(self.d_plot, "D(x) and D(G(z)): D's mean opinion of real and fake images"),
        ]
        for plot in self.plots:
            show_light_grid(plot)
            self.cursors.append(add_step_cursor(plot))
            plot.scene().sigMouseClicked.connect(self._on_scene_clicked)
        for name, (_, colour, row) in SERIES.items():
            plot = self.plots[row]
            faint = pg.mkColor(colour)
            faint.setAlpha(60)
            # about two points per pixel column after peak downsampling, however long the run
            self.raw[name] = plot.plot(pen=pg.mkPen(faint, width=1), autoDownsampleFactor=1.0)
            self.smooth[name] = plot.plot(
                pen=pg.mkPen(colour, width=2),  # legend: the toggles
                autoDownsampleFactor=1.0,
            )
            for item in (self.raw[name], self.smooth[name]):
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
        self.selected_step: int | None = None
        self.refresh()

    def _toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Smoothing"))
        self.smoothing_slider = QSlider(Qt.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(60)
        self.smoothing_slider.setMaximumWidth(160)
        self.smoothing_slider.setToolTip(
            "Exponential moving average of the curves; the raw "
            "values stay faint behind. 0 shows them as they are."
        )
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_changed)
        bar.addWidget(self.smoothing_slider)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Show the losses on a logarithmic axis.")
        self.log_box.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        bar.addWidget(self.log_box)
        self.series_boxes: dict[str, QCheckBox] = {}
        tips = {
            "loss_d": "D's loss on a real and a fake batch.",
            "loss_g": "G's loss: how well its images fooled D.",
            "d_x": "D's mean probability that real images are real (ideal late: near 0.5).",
            "d_g_z1": "D's mean probability that G's images are real, before G's update.",
        }
        for name, (label, colour, _) in SERIES.items():
            box = QCheckBox(label)
            box.setChecked(True)
            box.setToolTip(tips[name])
            box.setStyleSheet(f"QCheckBox {{ color: {colour}; }}")
            box.toggled.connect(lambda on, n=name: self._on_series_toggled(n, on))
            self.series_boxes[name] = box
            bar.addWidget(box)
        bar.addStretch(1)
        return bar

    # ---- redraw (called from the window's timer) --------------------------------------------
    def refresh(self) -> None:
        steps = self.history.column("step")
        for placeholder in self.placeholders:
            placeholder.show(len(steps) == 0)
        for name in SERIES:
            self.raw[name].setData(steps, self.history.column(name))
            self.smooth[name].setData(steps, self.history.ema(name, self.smoothing))

    def set_cursor(self, step: int | None) -> None:
        self.selected_step = step
        move_step_cursors(self.cursors, step)

    # ---- handlers ---------------------------------------------------------------------------
    def _on_smoothing_changed(self, value: int) -> None:
        self.smoothing = value / 100.0
        self.refresh()

    def _on_series_toggled(self, name: str, on: bool) -> None:
        self.raw[name].setVisible(on)
        self.smooth[name].setVisible(on)

    def _on_scene_clicked(self, event) -> None:
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.vb.mapSceneToView(event.scenePos()).x()
                step = self.history.nearest_step(x)
                if step is not None:
                    self.set_cursor(step)
                    self.step_clicked.emit(step)
                return

    def plotted(self, name: str) -> np.ndarray:
        """The y values a curve shows now (raw), for tests and exports."""
        return self.raw[name].yData if self.raw[name].yData is not None else np.array([])
