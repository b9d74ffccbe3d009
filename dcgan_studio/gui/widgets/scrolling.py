"""Scroll areas for the views in docks and tabs: they scroll rather than hold the window wide."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QScrollArea, QWidget


class _UpAndDown(QScrollArea):
    """Scrolls up and down only: never narrower than its view's minimum width, so no label or
    field is ever cut off at the side."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() if self.widget() is not None else 0
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), inner + bar + 2 * self.frameWidth()), hint.height())


class _FillOrScroll(QScrollArea):
    """Fills its place exactly while the view's minimum size fits it, and scrolls only below
    that. (Qt gives a view with wrapped text its preferred height, which is more than most docks
    have: the latent explorer scrolled in any dock, its image going out of sight above the
    slider being dragged.) Below its minimum width too it scrolls, rather than holding the
    window's centre narrow: a window smaller than a laptop's screen."""

    def setWidget(self, widget: QWidget) -> None:  # noqa: N802 (Qt's name)
        super().setWidget(widget)
        widget.installEventFilter(self)  # its minimum changes: fit again

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()
        return False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        widget = self.widget()
        if widget is not None:
            needed = widget.minimumSizeHint()
            widget.resize(
                max(self.viewport().width(), needed.width()),
                max(self.viewport().height(), needed.height()),
            )


def scrolling(widget: QWidget, sideways: bool = True, fill: bool = False) -> QScrollArea:
    """A view that fills its place, and scrolls rather than holding the window wide (or tall).
    ``sideways=False``: it scrolls vertically only, and its place is never narrower than it.
    ``fill``: it scrolls only where its place is less than its minimum size, never for the
    extra height its wrapped text would like."""
    scroll = _FillOrScroll() if fill else QScrollArea() if sideways else _UpAndDown()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(not fill)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    if not sideways and not fill:
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll
