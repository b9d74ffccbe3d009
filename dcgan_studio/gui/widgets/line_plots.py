"""What the window's line plots share: a light grid, cached axes, and auto-ranges in steps.

The window repaints its line plots (losses, gradient norms, the 1-D playground) several times a
second while it trains, on the GUI thread, which holds the interpreter while it paints and so
holds up training. Three things make those repaints cheaper without changing what they show:

- The grid is drawn at the major and minor ticks, not at pyqtgraph's finest level, which is most
  of the lines (a repaint of the loss plots takes less than half the time).
- The axes, whose grid lines span the plot, are painted from a cached pixmap until they change.
- ``SteadyViewBox`` (the loss and gradient plots; the 1-D playground sets its own ranges)
  auto-ranges to bounds rounded outward to a step of the axis' scale, so a plot whose data grew by
  one logged step usually keeps its range. The range depends on the data and the view's size only,
  so a second auto-range finds the same one, and an idle plot never repaints itself. pyqtgraph's
  own auto-range follows the data exactly: every new point moved the range, which laid out both
  axes again, moved the plots linked to it and painted the plot a second time.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

TICK_LEVELS = 1  # pyqtgraph's maxTickLevel: 0 major, 1 minor, 2 (its default) the finest
DIVISIONS = 8  # an auto-range is a whole number of steps of about 1/8 of the data's span
PEN_SLACK_PX = 4  # pixels by which pyqtgraph may widen a curve's bounds for its pen


def show_light_grid(plot: pg.PlotItem, alpha: float = 0.2, x: bool = True, y: bool = True) -> None:
    """``plot.showGrid`` at the major and minor ticks only (the tick marks follow the grid), and
    the axes, whose grid lines span the plot, repainted from a cached pixmap until they change."""
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(maxTickLevel=TICK_LEVELS)
    plot.showGrid(x=x, y=y, alpha=alpha)
    for side in ("left", "bottom", "right"):
        plot.getAxis(side).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def nice_step(span: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least ``span``."""
    power = 10.0 ** math.floor(math.log10(span))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= span * (1 - 1e-9):
            return factor * power
    return 10.0 * power  # not reached: span / power < 10


def steady_bounds(
    low: float, high: float, divisions: int = DIVISIONS, slack: float = 0.0
) -> tuple[float, float]:
    """(low, high) widened to whole steps of a round size near (high - low) / divisions; bounds
    that pass a step by at most ``slack`` stay on it."""
    span = high - low
    if not (math.isfinite(low) and math.isfinite(high)) or span < 0:
        return low, high  # pyqtgraph leaves such bounds out itself
    if span == 0:  # one value: a step either side of it
        step = nice_step((abs(high) or 1.0) / divisions)
        return low - step, high + step
    step = nice_step(span / divisions)
    slack = min(max(slack, 0.0), step / 4)
    return math.floor((low + slack) / step) * step, math.ceil((high - slack) / step) * step


class SteadyViewBox(pg.ViewBox):
    """A ViewBox whose auto-range rounds the data's bounds outward (see ``steady_bounds``).

    Only the automatic range is rounded: a person who zooms or pans turns auto-range off, as in
    any pyqtgraph plot, and the "A" button brings it back.
    """

    def childrenBounds(self, frac=None, orthoRange=(None, None), items=None):  # noqa: N802
        bounds = super().childrenBounds(frac=frac, orthoRange=orthoRange, items=items)
        # pyqtgraph widens the data's bounds by the pens' width in pixels: a run at step 1,200
        # came in as 1,203 or more, which must not cost the plot a whole empty step. The slack is
        # measured on the data's own span and the view's size in pixels, as pyqtgraph measures
        # that padding, never on the range shown now: a slack taken from the current range made
        # two ranges lead to each other, and a plot repainted itself forever on some data
        pixels = (self.width(), self.height())
        steady = []
        for axis, b in enumerate(bounds):
            if b is None:
                steady.append(None)
                continue
            span = b[1] - b[0]
            slack = (
                PEN_SLACK_PX * span / pixels[axis]
                if pixels[axis] > 0 and math.isfinite(span)
                else 0.0
            )
            steady.append(list(steady_bounds(*b, slack=slack)))
        return steady


class Placeholder:
    """A line in the middle of an empty plot ("... appear here once training logs its first
    step") and no tick values on axes that mean nothing yet; gone once there is data."""

    def __init__(self, plot: pg.PlotItem, html: str) -> None:
        self.plot = plot
        self.text = pg.TextItem(
            anchor=(0.5, 0.5), html=(f"<div style='color:#888; text-align:center'>{html}</div>")
        )
        # a text width lets the lines centre on each other
        self.text.setTextWidth(self.text.textItem.document().idealWidth())
        self.text.setPos(0.5, 0.5)
        plot.addItem(self.text, ignoreBounds=True)
        self.empty: bool | None = None

    def show(self, empty: bool) -> None:
        if self.empty == empty:
            return
        self.empty = empty
        self.text.setVisible(empty)
        show_light_grid(self.plot, x=not empty, y=not empty)
        for side in ("left", "bottom"):
            self.plot.getAxis(side).setStyle(showValues=not empty)

    def isVisible(self) -> bool:  # noqa: N802 (as a Qt item says it)
        return self.text.isVisible()
