"""Start the window: the QApplication, the palette, pyqtgraph's colours, the main window."""

from __future__ import annotations

import sys
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from dcgan_studio import __version__


def apply_theme(app: QApplication) -> None:
    """Follow the system's light or dark palette; pyqtgraph draws on the window's colours."""
    app.setStyle("Fusion")
    palette = QGuiApplication.palette()
    # no antialiasing: on long noisy curves it costs seconds a frame in software rendering
    pg.setConfigOptions(antialias=False, imageAxisOrder="row-major",
                        background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text))


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("DCGAN Studio")
    app.setOrganizationName("dcgan-studio")
    app.setApplicationVersion(__version__)
    apply_theme(app)
    return app


def run_window(open_run: Path | None = None, log_path: str = "", explore: Path | None = None
               ) -> int:
    app = make_application()
    from dcgan_studio.core.runs import default_runs_root
    from dcgan_studio.gui.main_window import MainWindow

    window = MainWindow(default_runs_root(), log_path)
    window.show()
    if open_run is not None:
        window.open_run(open_run)
    if explore is not None:
        window.explore_checkpoint(explore)
    return app.exec()
