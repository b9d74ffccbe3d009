"""Small widget factories shared by the workspaces: fields and buttons that may be narrower than
Qt's usual sizes, and the spin boxes, buttons and wrapped labels the views are built from.

Qt sizes a combo box to its longest entry and a push button to at least 80 px; in the right dock
of a laptop's screen (about 360 px) a row of them held the dock wide or scrolled it sideways.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
)


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


def spin_box(low: int, high: int, value: int, tip: str = "") -> QSpinBox:
    """An integer field from ``low`` to ``high``, showing ``value``."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    if tip:
        box.setToolTip(tip)
    return box


def double_spin_box(
    low: float, high: float, value: float | None = None, decimals: int = 2, step: float = 1.0
) -> QDoubleSpinBox:
    """A number field from ``low`` to ``high`` with ``decimals`` digits, the arrows moving it by
    ``step``; showing ``value`` (Qt's default, the low end, when None)."""
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    if value is not None:
        box.setValue(value)
    return box


def push_button(
    text: str, tip: str = "", on_click: Callable[[], object] | None = None
) -> QPushButton:
    """A button with its tooltip, calling ``on_click`` (with no argument) when clicked."""
    button = QPushButton(text)
    if tip:
        button.setToolTip(tip)
    if on_click is not None:
        button.clicked.connect(lambda: on_click())
    return button


def text_label(text: str = "", rich: bool = False, selectable: bool = False) -> QLabel:
    """A label whose text wraps at its width; ``rich`` for HTML, ``selectable`` to copy it."""
    label = QLabel(text)
    label.setWordWrap(True)
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
