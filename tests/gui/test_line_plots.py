"""The line plots: a grid at the major and minor ticks only, and auto-ranges that move in steps
(both make the repaints of a live run cheaper)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage, QPainter

from dcgan_studio.core.history import LossHistory
from dcgan_studio.gui.training.loss_plot import LossPlotWidget
from dcgan_studio.gui.widgets.line_plots import SteadyViewBox, nice_step, steady_bounds
from tests.rows import scalar_row


def _history(steps: int) -> LossHistory:
    history, rng = LossHistory(), np.random.default_rng(0)
    for i in range(1, steps + 1):
        history.append(
            scalar_row(
                10 * i,
                loss_d=1 + rng.random(),
                loss_g=2 + rng.random(),
                d_x=rng.random(),
                d_g_z1=rng.random(),
                d_g_z2=rng.random(),
            )
        )
    return history


def _grid_lines(axis: pg.AxisItem) -> int:
    image = QImage(800, 600, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, ticks, _ = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return len(ticks)


def _shown(qtbot, history: LossHistory) -> LossPlotWidget:
    """The loss plots of ``history``, on screen at 700x420 and drawn."""
    widget = LossPlotWidget(history)
    qtbot.addWidget(widget)
    widget.resize(700, 420)
    widget.show()
    widget.refresh()
    qtbot.waitExposed(widget)
    return widget


def test_the_loss_plots_grid_leaves_out_only_the_finest_level(qtbot):
    widget = _shown(qtbot, _history(3000))
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


# ---- auto-ranges that move in steps -------------------------------------------------------------
def test_steady_bounds_round_outward_to_a_step_of_the_scale():
    assert nice_step(125) == 200 and nice_step(0.2) == pytest.approx(0.2)
    assert nice_step(0.21) == pytest.approx(0.25) and nice_step(3) == 5
    assert steady_bounds(10, 1010) == (0, 1200)
    assert steady_bounds(-2, 1202, slack=3) == (0, 1200)  # a pen's pixels over a step
    assert steady_bounds(-2, 1202) == (-200, 1400)
    low, high = steady_bounds(-0.3, 0.85)  # step 0.2
    assert (low, high) == (pytest.approx(-0.4), pytest.approx(1.0))
    assert steady_bounds(5, 5) == (4, 6)  # one value: a step either side
    assert math.isnan(steady_bounds(0.0, float("nan"))[1])  # left as it is
    # a run logging every 10 steps keeps its x range from 1,010 to 1,200, then moves once
    assert {steady_bounds(10, x) for x in range(1010, 1201, 10)} == {(0, 1200)}
    assert steady_bounds(10, 1210) == (0, 1400)


def test_a_new_logged_step_repaints_the_loss_plots_once_without_moving_their_range(
    qtbot, count_paints
):
    history = _history(290)  # steps 10..2,900, losses in 1..3: the x range ends at 3,000
    widget = _shown(qtbot, history)
    paints = count_paints(widget.graphics.viewport())
    paints.settle(qtbot)
    ranges = [plot.viewRange() for plot in widget.plots]
    assert 2900 < ranges[0][0][1] < 3200 and ranges[0][1][0] <= 1 and ranges[0][1][1] >= 3
    axis = widget.loss_plot.getAxis("bottom")
    picture = axis.picture
    history.append(scalar_row(2910))
    widget.refresh()
    qtbot.waitUntil(lambda: paints.count >= 1)
    qtbot.wait(150)
    assert paints.count == 1  # pyqtgraph's own auto-range painted twice, and moved the range
    assert [plot.viewRange() for plot in widget.plots] == ranges
    assert axis.picture is picture  # the axis was not laid out again
    assert widget.plotted("loss_g")[-1] == 2.5  # and the new point is drawn

    history.append(scalar_row(2920, loss_g=50.0))  # data outside the range: the range follows it
    widget.refresh()
    qtbot.waitUntil(lambda: widget.loss_plot.viewRange()[1][1] >= 50)
    assert widget.loss_plot.viewRange()[0][1] >= 2920


def test_a_person_who_zooms_keeps_their_range_while_training_goes_on(qtbot):
    history = _history(100)
    widget = _shown(qtbot, history)
    widget.loss_plot.setXRange(200, 400, padding=0)  # as a drag or a wheel does: auto-range off
    for step in range(1010, 1100, 10):
        history.append(scalar_row(step))
        widget.refresh()
    qtbot.wait(50)
    assert widget.loss_plot.viewRange()[0] == pytest.approx([200, 400])
    widget.loss_plot.enableAutoRange()  # the "A" button: following again, to the last step
    qtbot.waitUntil(lambda: widget.loss_plot.viewRange()[0][1] >= 1090)


def test_an_auto_range_is_found_again_whatever_range_the_plot_shows_now(qtbot):
    """The range depends on the data and the view's size, not on the range shown: otherwise two
    ranges can lead to each other, and an idle plot repaints itself forever (issue 18: a
    Gradients tab kept a core busy after Stop). The data below (a 2 px pen, tops from 0.5 to 3)
    held such a pair of ranges at 600x250 before the fix, for 9 of the 401 tops."""
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot(viewBox=SteadyViewBox())
    curve = plot.plot(pen=pg.mkPen("r", width=2), autoDownsampleFactor=1.0)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    widget.resize(600, 250)
    widget.show()
    qtbot.waitExposed(widget)
    x = np.arange(10, 790, 10.0)
    moved = []
    for top in np.linspace(0.5, 3.0, 401):
        curve.setData(x, np.linspace(0.1, top, len(x)))
        plot.vb.updateAutoRange()
        found = plot.vb.viewRange()
        pg.ViewBox.updateAutoRange(plot.vb)  # pyqtgraph's own single pass, from that range
        if plot.vb.viewRange() != found:
            moved.append(round(float(top), 4))
    assert not moved, f"the auto-range moved again for tops {moved}"


def test_an_idle_loss_plot_is_not_repainted(qtbot, count_paints):
    widget = _shown(qtbot, _history(78))
    paints = count_paints(widget.graphics.viewport())
    paints.settle(qtbot)
    qtbot.wait(1000)
    assert paints.count == 0


def test_empty_loss_plots_say_what_will_appear_not_meaningless_axes(qtbot):
    """Issue 18: a new user's first look had two plots of axes from 0.1 to 0.9 and nothing."""
    history = LossHistory()
    widget = _shown(qtbot, history)
    assert all(p.isVisible() for p in widget.placeholders)
    assert "appear here" in widget.placeholders[0].text.textItem.toPlainText()
    assert not widget.loss_plot.getAxis("bottom").style["showValues"]
    history.append(scalar_row(10))
    widget.refresh()
    assert not any(p.isVisible() for p in widget.placeholders)
    assert widget.loss_plot.getAxis("bottom").style["showValues"]
