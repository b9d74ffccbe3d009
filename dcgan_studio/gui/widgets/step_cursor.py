"""The dashed vertical line that marks the step picked on the history scrubber in a plot."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt


def add_step_cursor(plot: pg.PlotItem) -> pg.InfiniteLine:
    cursor = pg.InfiniteLine(
        angle=90, movable=False, pen=pg.mkPen("#999", width=1, style=Qt.DashLine)
    )
    cursor.hide()
    plot.addItem(cursor, ignoreBounds=True)  # the line never widens the plot's range
    return cursor


def move_step_cursors(cursors: list[pg.InfiniteLine], step: int | None) -> None:
    """Put every cursor at ``step``; None hides them."""
    for cursor in cursors:
        cursor.setVisible(step is not None)
        if step is not None:
            cursor.setValue(step)
