"""What the convolution explorer's pages share: a page that follows the input and the kernel and
recomputes only while it is on screen, and the small widgets they are laid out from.

A page's ``recompute`` runs a few torch ops on small maps; each waits for torch's thread pool,
which can take a scheduler slice when the cores are busy (training on the CPU in the same
process). So a hidden page only notes that it is stale, and catches up when it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel

ERROR_STYLE = "color: #d9534f; font-weight: bold;"


class ExplorerPage(QWidget):
    def __init__(self, source: ExplorerInput, kernel: Kernel, parent: QWidget | None = None):
        super().__init__(parent)
        self.source, self.kernel = source, kernel
        self.message = error_label()  # "no output: what is wrong, what to change"
        self._stale = True
        source.input_changed.connect(self.changed)
        kernel.changed.connect(self._on_kernel_changed)

    def recompute(self) -> None:  # draw every map of the page from its settings
        raise NotImplementedError

    def changed(self) -> None:
        """Something the page shows changed: redraw now if on screen, else when shown."""
        if self.isVisible():
            self._stale = False
            self.recompute()
        else:
            self._stale = True

    def _on_kernel_changed(self) -> None:
        self.changed()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.recompute()

    def lay_out(
        self, controls: QHBoxLayout, maps: Sequence[tuple[QWidget, int] | str]
    ) -> QVBoxLayout:
        """The page from the top: its control row, its maps in a row (``(view, stretch)`` pairs
        with an operator such as "=" between), then its message; more can go below."""
        layout = QVBoxLayout(self)
        controls.addStretch(1)
        layout.addLayout(controls)
        row = QHBoxLayout()
        for part in maps:
            if isinstance(part, str):
                row.addWidget(operator_label(part))
            else:
                row.addWidget(*part)
        layout.addLayout(row, 1)
        layout.addWidget(self.message)
        return layout


def labelled_row(pairs, spacing: int = 12) -> QHBoxLayout:
    """A page's control row: each (text, widget) as its label, the widget, a little space."""
    row = QHBoxLayout()
    for text, widget in pairs:
        row.addWidget(QLabel(text))
        row.addWidget(widget)
        row.addSpacing(spacing)
    return row


def operator_label(text: str) -> QLabel:
    """A large "∗" or "=" between the maps of an equation."""
    label = QLabel(text)
    label.setStyleSheet("font-size: 22pt;")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def error_label() -> QLabel:
    """A hidden red line for "no output: what is wrong, what to change"."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setVisible(False)
    return label
