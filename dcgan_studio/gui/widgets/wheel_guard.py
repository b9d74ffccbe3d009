"""The mouse wheel over a panel scrolls the panel: a field takes the wheel only when it has focus.

Qt's own default lets a spin box, a combo box or a slider take every wheel turn under the mouse,
so scrolling down the Training dock over Batch size took it from 32 to 2 and switched the preset
to Custom. Desktop applications (and Qt's own designer) follow the other convention: the wheel
changes a field only after the person has clicked into it (or tabbed to it); otherwise the event
goes on to the panel that scrolls. ``guard_wheel`` applies that to every such field under a
widget; views that make fields later (slider rows, a workspace built on first sight) call it on
them too.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSlider, QAbstractSpinBox, QComboBox, QScrollBar, QWidget

_guard: _WheelNeedsFocus | None = None


class _WheelNeedsFocus(QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            event.ignore()  # not taken here: Qt offers it to the parents, the scroll area first
            return True
        return False


def takes_wheel(widget: QWidget) -> bool:
    """A field whose value the wheel would change."""
    return isinstance(widget, (QAbstractSpinBox, QComboBox)) or (
        isinstance(widget, QAbstractSlider) and not isinstance(widget, QScrollBar)
    )


def guard_wheel(root: QWidget) -> None:
    """Every field under ``root`` (and ``root`` itself) takes the wheel only when focused, and
    the wheel no longer gives it focus. Calling it again for the same widgets changes nothing."""
    global _guard
    if _guard is None:
        _guard = _WheelNeedsFocus()
    for widget in (root, *root.findChildren(QWidget)):
        if takes_wheel(widget):
            if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            widget.installEventFilter(_guard)  # once: Qt keeps one entry per filter
