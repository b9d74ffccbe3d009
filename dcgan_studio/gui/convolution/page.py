"""What the convolution explorer's pages share: a page that recomputes only while it is on
screen, and the small widgets they are laid out from.

A page's ``recompute`` runs a few torch ops on maps of 28x28 pixels: well under a millisecond
each on an idle CPU, but each op waits for torch's thread pool, which takes a scheduler slice
(~8 ms) when the cores are busy, e.g. with training on the CPU in the same process. So a hidden
page only notes that it is stale, and catches up when it is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

ERROR_STYLE = "color: #d9534f; font-weight: bold;"


class ExplorerPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stale = True

    def recompute(self) -> None:  # draw every map of the page from its settings
        raise NotImplementedError

    def changed(self) -> None:
        """Something the page shows changed: redraw now if on screen, else when shown."""
        if self.isVisible():
            self._stale = False
            self.recompute()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.recompute()


def add_labelled(row: QHBoxLayout, pairs, spacing: int = 12) -> None:
    """Each (text, widget) of a page's control row: its label, the widget, a little space."""
    for text, widget in pairs:
        row.addWidget(QLabel(text))
        row.addWidget(widget)
        row.addSpacing(spacing)


def operator_label(text: str) -> QLabel:
    """A large "∗" or "=" between the maps of an equation."""
    label = QLabel(text)
    label.setStyleSheet("font-size: 22pt;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def error_label() -> QLabel:
    """A hidden red line for "no output: what is wrong, what to change"."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setVisible(False)
    return label
