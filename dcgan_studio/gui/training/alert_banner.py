"""A non-modal banner that explains a failure sign of GAN training and what to try."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

STYLES = {
    "warning": "QFrame#alert-banner { background: #fff3cd; border: 1px solid #e0b84c; "
    "border-radius: 4px; } QLabel { color: #4d3b00; }",
    "error": "QFrame#alert-banner { background: #f8d7da; border: 1px solid #d9534f; "
    "border-radius: 4px; } QLabel { color: #58151c; }",
}


class AlertBanner(QFrame):
    dismissed = Signal()  # the person hid it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alert-banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        text = QVBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold;")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet("font-style: italic;")
        for label in (self.title, self.message, self.advice):
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            text.addWidget(label)
        layout.addLayout(text, 1)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setToolTip("Hide this alert; it comes back if the sign returns.")
        self.dismiss.clicked.connect(self.dismissed.emit)
        layout.addWidget(self.dismiss, 0, Qt.AlignTop)
        self.kind: str | None = None
        self.hide()

    def show_alert(self, alert) -> None:
        """``alert``: a core.alerts.Alert (title, message, what_to_try, severity, step), or None
        to hide the banner."""
        if alert is None:
            self.hide()
            return
        self.kind = alert.kind
        self.setStyleSheet(STYLES.get(alert.severity, STYLES["warning"]))
        self.title.setText(f"{alert.title} (iteration {alert.step})")
        self.message.setText(alert.message)
        self.advice.setText(alert.what_to_try)
        self.show()
