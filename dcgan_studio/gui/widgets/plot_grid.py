"""The grid behind the window's line plots: major and minor lines, not pyqtgraph's finest level.

pyqtgraph draws a grid line at each of three tick levels, and the finest level is most of the
lines. Drawing them made a repaint of the loss plots (two plots, eight curves, 3,000 logged
steps) take 72 ms on a 2-core CPU; with the two coarser levels it took 29 ms. The window repaints
those plots several times a second while it trains, on the thread that shares the interpreter
with training, so the finest level is left out.
"""

from __future__ import annotations

import pyqtgraph as pg

TICK_LEVELS = 1  # pyqtgraph's maxTickLevel: 0 major, 1 minor, 2 (its default) the finest


def show_light_grid(plot: pg.PlotItem, alpha: float = 0.2, x: bool = True,
                    y: bool = True) -> None:
    """``plot.showGrid`` at the major and minor ticks only (the tick marks follow the grid)."""
    for side in ("left", "bottom"):
        plot.getAxis(side).setStyle(maxTickLevel=TICK_LEVELS)
    plot.showGrid(x=x, y=y, alpha=alpha)
