"""Start the window: the QApplication, the palette, pyqtgraph's colours, the main window.

PyTorch and the views take seconds to import on a small CPU, so the window is on screen first,
with Qt alone and a progress page (``gui.frame``), and the studio is composed into it when the
core has been imported on a worker.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from dcgan_studio import __version__, desktop
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.frame import CoreLoader, WindowFrame

log = logging.getLogger("dcgan_studio")


def apply_theme(app: QApplication) -> None:
    """Follow the system's light or dark palette; pyqtgraph draws on the window's colours."""
    import pyqtgraph as pg

    app.setStyle("Fusion")
    palette = QGuiApplication.palette()
    # no antialiasing: on long noisy curves it costs seconds a frame in software rendering
    pg.setConfigOptions(
        antialias=False,
        imageAxisOrder="row-major",
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.Text),
    )


def studio_icon() -> QIcon:
    """The app's icon in every bundled size (resources/desktop); an empty icon, logged, where
    the files are missing from the installation: the window opens all the same."""
    icon = QIcon()
    try:
        for path in desktop.icon_files().values():
            icon.addFile(str(path))
    except StudioError as exc:
        log.warning("no window icon: %s", exc)
    return icon


def make_application(argv: list[str] | None = None, theme: bool = True) -> QApplication:
    args = list(argv if argv is not None else sys.argv[:1]) or [""]
    args[0] = desktop.WM_CLASS  # Qt's X11 WM_CLASS instance is argv[0]'s name ("__main__.py")
    app = QApplication.instance() or QApplication(args)
    app.setApplicationName("DCGAN Studio")
    app.setOrganizationName("dcgan-studio")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(desktop.APP_ID)  # Wayland and the docks match the window to the entry
    app.setWindowIcon(studio_icon())
    app.setStyle("Fusion")
    if theme:
        apply_theme(app)
    return app


def run_window(
    open_run: Path | None = None,
    log_path: str = "",
    explore: Path | None = None,
    follow: Path | None = None,
) -> int:
    app = make_application(theme=False)
    open_window(open_run, log_path, explore, follow=follow)
    return app.exec()


def open_window(
    open_run: Path | None = None,
    log_path: str = "",
    explore: Path | None = None,
    runs_root: Path | None = None,
    settings=None,
    follow: Path | None = None,
) -> WindowFrame:
    """The window at once with a progress page (Qt alone), the core imported on a thread
    meanwhile, then the views built into the same window.

    Returns the frame; from its ``views_ready`` signal on, ``frame.content`` is the
    ``MainWindow`` composed into it. A run to open or follow, or a checkpoint to explore, is
    opened then.
    """
    app = make_application(theme=False)
    frame = WindowFrame(settings)
    page = frame.show_loading()
    frame.show()
    loader = CoreLoader(frame)
    loader.progressed.connect(page.show_step)

    def build(seconds: float) -> None:
        if not frame.isVisible():  # closed while loading: nothing to build
            return
        log.info("core imported in %.1f s, building the views", seconds)
        QApplication.processEvents()  # "Building the views…" on screen first
        apply_theme(app)
        from dcgan_studio.core.runs import default_runs_root
        from dcgan_studio.gui.main_window import MainWindow

        window = MainWindow(frame, runs_root or default_runs_root(), log_path)
        if open_run is not None:
            window.open_run(open_run)
        if follow is not None:
            window.follow_run(follow)
        if explore is not None:
            window.explore_checkpoint(explore)
        frame.views_ready.emit()

    def fail(message: str) -> None:
        page.show_failure(message)
        frame.statusBar().showMessage("DCGAN Studio could not start: see the message.")
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "DCGAN Studio could not start",
            message,
            QMessageBox.StandardButton.Ok,
            frame,
        )
        box.setObjectName("load-error-dialog")
        box.open()

    loader.done.connect(build)
    loader.failed.connect(fail)
    loader.start()
    return frame
