"""Fields and buttons that may be narrower than Qt's usual sizes, so a view fits a narrow dock.

Qt sizes a combo box to its longest entry and a push button to at least 80 px; in the right dock
of a laptop's screen (about 360 px) a row of them held the dock wide or scrolled it sideways.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QPushButton, QSizePolicy


def narrow_combo(characters: int = 8) -> QComboBox:
    """A combo box that may be narrower than its longest entry (the text is cut, the arrow
    stays)."""
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(characters)
    return box


def shrinkable(button: QPushButton) -> QPushButton:
    """A button that may be narrower than the style's usual 80 px (down to its text)."""
    button.setSizePolicy(QSizePolicy.Policy.Preferred, button.sizePolicy().verticalPolicy())
    button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 20)
    return button
