"""Scroll areas for the views in docks and tabs: they scroll rather than hold the window wide."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QScrollArea, QWidget


class _UpAndDown(QScrollArea):
    """Scrolls up and down only: never narrower than its view's minimum width, so no label or
    field is ever cut off at the side."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() if self.widget() is not None else 0
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), inner + bar + 2 * self.frameWidth()), hint.height())


def scrolling(widget: QWidget, sideways: bool = True) -> QScrollArea:
    """A view that fills its place, and scrolls rather than holding the window wide (or tall).
    ``sideways=False``: it scrolls vertically only, and its place is never narrower than it."""
    scroll = QScrollArea() if sideways else _UpAndDown()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    if not sideways:
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll
