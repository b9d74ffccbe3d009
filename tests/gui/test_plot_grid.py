"""The line plots keep a grid, drawn at the major and minor ticks only (the cheaper repaint)."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage, QPainter

from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.snapshots import ScalarSnapshot
from dcgan_studio.gui.widgets.loss_plot import LossPlotWidget


def _history(steps: int) -> LossHistory:
    history, rng = LossHistory(), np.random.default_rng(0)
    for i in range(1, steps + 1):
        history.append(ScalarSnapshot(
            step=10 * i, epoch=0, epoch_progress=0.0, loss_d=1 + rng.random(),
            loss_g=2 + rng.random(), d_x=rng.random(), d_g_z1=rng.random(),
            d_g_z2=rng.random(), grad_norm_d=1.0, grad_norm_g=1.0, lr_d=1e-3, lr_g=1e-3,
            images_per_second=1.0, elapsed_seconds=1.0, layer_grad_norms=MappingProxyType({})))
    return history


def _grid_lines(axis: pg.AxisItem) -> int:
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, ticks, _ = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return len(ticks)


def test_the_loss_plots_grid_leaves_out_only_the_finest_level(qtbot):
    widget = LossPlotWidget(_history(3000))
    qtbot.addWidget(widget)
    widget.resize(700, 420)
    widget.show()
    widget.refresh()
    qtbot.waitExposed(widget)
    plain = pg.PlotWidget()  # pyqtgraph's own grid on the same range and size, for comparison
    qtbot.addWidget(plain)
    plain.resize(widget.loss_plot.width(), widget.loss_plot.height())
    plain.showGrid(x=True, y=True, alpha=0.2)
    plain.show()
    qtbot.waitExposed(plain)
    for plot in widget.plots:
        assert plot.ctrl.xGridCheck.isChecked() and plot.ctrl.yGridCheck.isChecked()
    for side in ("bottom", "left"):
        x_range, y_range = widget.loss_plot.viewRange()
        plain.setRange(xRange=x_range, yRange=y_range, padding=0)
        widget.loss_plot.setRange(xRange=x_range, yRange=y_range, padding=0)
        qtbot.wait(50)
        ours, theirs = (_grid_lines(p.getAxis(side)) for p in (widget.loss_plot, plain.plotItem))
        assert 4 <= ours < theirs, (side, ours, theirs)  # a grid, with fewer lines than theirs
