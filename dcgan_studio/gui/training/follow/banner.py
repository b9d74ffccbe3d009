"""The banner over the sample grid while the window follows a run another process writes: who
writes it, how it stands, that the controls are read-only, and Stop Following."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dcgan_studio.gui.widgets.compact import push_button

STYLES = {  # live: the writer trains or is paused; ended: it finished, stopped or is gone
    "live": "QFrame#follow-banner { background: #e3effb; border: 1px solid #5b9bd5; "
    "border-radius: 4px; } QLabel { color: #123c63; }",
    "ended": "QFrame#follow-banner { background: #ececec; border: 1px solid #9a9a9a; "
    "border-radius: 4px; } QLabel { color: #333333; }",
    "error": "QFrame#follow-banner { background: #fff3cd; border: 1px solid #e0b84c; "
    "border-radius: 4px; } QLabel { color: #4d3b00; }",
}
READ_ONLY = {  # the banner's last line, while the writer trains and once it has stopped
    True: "Read-only while following: another process trains this run.",
    False: "Read-only while following; Stop Following, then Start, continues the run here.",
}


class FollowBanner(QFrame):
    stop_requested = Signal()  # Stop Following

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("follow-banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel()
        self.title.setObjectName("follow-title")
        self.title.setStyleSheet("font-weight: bold;")
        self.title.setWordWrap(True)
        self.detail = QLabel()
        self.detail.setObjectName("follow-detail")
        self.detail.setWordWrap(True)
        self.note = QLabel(READ_ONLY[True])
        self.note.setWordWrap(True)
        self.note.setStyleSheet("font-style: italic;")
        for label in (self.title, self.detail, self.note):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.addWidget(label)
        layout.addLayout(text, 1)
        self.stop_button: QPushButton = push_button(
            "Stop Following",
            "Keep the run on screen as it is now, no longer read again; Start then continues "
            "it here (once its writer has stopped).",
            self.stop_requested.emit,
        )
        self.stop_button.setObjectName("stop-following")
        layout.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignTop)
        self.state: str | None = None
        self.hide()

    def show_writer(self, writer, folder: str, continued_at: int | None = None) -> None:
        """``writer``: a core.follow.WriterStatus, or None to hide the banner; ``folder``: the
        run's; ``continued_at``: the iteration from which the writer continued after it had
        stopped (said until it stops again)."""
        if writer is None:
            self.state = None
            self.hide()
            return
        self.state = writer.state
        self.setStyleSheet(STYLES["live" if writer.live else "ended"])
        title = f"Following: {writer.headline}"
        if writer.live and writer.state != "paused" and writer.step is not None:
            title += f", at iteration {writer.step:,}"
        if continued_at is not None and writer.live:
            title += f" (it continued from iteration {continued_at:,})"
        self.title.setText(title)
        self.detail.setText(" · ".join(part for part in (writer.detail, folder) if part))
        self.note.setText(READ_ONLY[writer.live])
        self.show()

    def show_problem(self, message: str) -> None:
        """A poll failed (the folder is gone for a moment, a permission): following goes on."""
        self.state = "problem"
        self.setStyleSheet(STYLES["error"])
        self.note.setText(f"Cannot read the run now: {message}")
        self.show()
