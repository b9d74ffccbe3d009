"""Start the window: the QApplication, the palette, pyqtgraph's colours, the main window.

PyTorch and the views take seconds to import on a small CPU, so a splash with a progress line is
on screen first (Qt alone: a few hundred milliseconds after launch), and the main window replaces
it when it is built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from dcgan_studio import __version__


def apply_theme(app: QApplication) -> None:
    """Follow the system's light or dark palette; pyqtgraph draws on the window's colours."""
    import pyqtgraph as pg

    app.setStyle("Fusion")
    palette = QGuiApplication.palette()
    # no antialiasing: on long noisy curves it costs seconds a frame in software rendering
    pg.setConfigOptions(antialias=False, imageAxisOrder="row-major",
                        background=palette.color(QPalette.ColorRole.Base),
                        foreground=palette.color(QPalette.ColorRole.Text))


def make_application(argv: list[str] | None = None, theme: bool = True) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("DCGAN Studio")
    app.setOrganizationName("dcgan-studio")
    app.setApplicationVersion(__version__)
    if theme:
        apply_theme(app)
    return app


def make_splash() -> QSplashScreen:
    """The app's name and a progress line, drawn with Qt alone (no torch, no pyqtgraph)."""
    pixmap = QPixmap(460, 180)
    pixmap.fill(QColor(32, 36, 44))
    painter = QPainter(pixmap)
    painter.setPen(QColor(235, 235, 235))
    title = QFont()
    title.setPointSize(22)
    title.setBold(True)
    painter.setFont(title)
    painter.drawText(pixmap.rect().adjusted(24, 28, -24, -90), Qt.AlignmentFlag.AlignLeft,
                     "DCGAN Studio")
    small = QFont()
    small.setPointSize(10)
    painter.setFont(small)
    painter.setPen(QColor(170, 178, 190))
    painter.drawText(pixmap.rect().adjusted(24, 72, -24, -50), Qt.AlignmentFlag.AlignLeft,
                     f"version {__version__}: train a DCGAN and watch it learn")
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.setObjectName("splash")
    return splash


def say(splash: QSplashScreen, text: str) -> None:
    splash.showMessage(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                       QColor(235, 235, 235))
    QApplication.processEvents()


def run_window(open_run: Path | None = None, log_path: str = "", explore: Path | None = None
               ) -> int:
    app = make_application(theme=False)
    open_window(open_run, log_path, explore)
    return app.exec()


def open_window(open_run: Path | None = None, log_path: str = "", explore: Path | None = None,
                runs_root: Path | None = None, settings=None,
                on_splash: Callable[[QSplashScreen], None] | None = None):
    """The splash at once, then the heavy imports, then the main window in its place."""
    app = make_application(theme=False)
    splash = make_splash()
    splash.show()
    if on_splash is not None:
        on_splash(splash)
    say(splash, "  Loading PyTorch and the views…")
    apply_theme(app)
    from dcgan_studio.core.runs import default_runs_root
    from dcgan_studio.gui.main_window import MainWindow

    say(splash, "  Building the window…")
    window = MainWindow(runs_root or default_runs_root(), log_path, settings=settings)
    window.show()
    splash.finish(window)
    window.launch_splash = splash  # alive until finish() has closed it, once the window shows
    if open_run is not None:
        window.open_run(open_run)
    if explore is not None:
        window.explore_checkpoint(explore)
    return window
