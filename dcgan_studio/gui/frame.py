"""The studio window before its views exist: on screen within about two seconds of launch.

PyTorch takes seconds to import on a small CPU, and every view of the studio needs it (through
the core). So the window comes up first, with Qt alone: its title, its saved place and size on
screen, and a page with a progress bar. The Qt-free core (PyTorch with it) is imported on a
plain thread meanwhile, which the core's rule of no Qt makes safe; the page follows it module by
module. Then, on the GUI thread, the views are built into this same window
(``MainWindow.adopt``), which takes the page's place.

Nothing here may import torch, pyqtgraph or the views: the launch benchmark and a test check
that the window is exposed before torch is in ``sys.modules``.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QVBoxLayout, QWidget

from dcgan_studio import __version__
from dcgan_studio.gui.background import collect_garbage_on_gui_thread

log = logging.getLogger("dcgan_studio")
DEFAULT_SIZE = (1600, 960)  # a first launch, made smaller where the screen is

# the Qt-free modules the views need, heaviest first; imported on the loader's thread, in order
CORE_MODULES = (
    ("torch", "PyTorch"),
    ("dcgan_studio.core.engine", "the training engine"),
    ("dcgan_studio.core.probes", "the network probes"),
    ("dcgan_studio.core.latent", "the latent-space tools"),
    ("dcgan_studio.core.launch", "the run folders"),
    ("dcgan_studio.core.history", "the loss history"),
)


class CoreLoader(QObject):
    """Imports ``CORE_MODULES`` on a thread; says each step, then done or failed (on the GUI
    thread: the signals are queued to this object's thread)."""

    progressed = Signal(int, str)  # steps done so far, what comes next
    done = Signal(float)  # seconds it took
    failed = Signal(str)  # the error, in words

    def start(self) -> None:
        threading.Thread(target=self._load, name="dcgan-import", daemon=True).start()

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            for i, (module, what) in enumerate(CORE_MODULES):
                self.progressed.emit(i, f"Loading {what}…")
                importlib.import_module(module)
        except Exception as error:  # a broken install: the page and a dialog say which part
            log.exception("importing %s failed", module)
            self.failed.emit(
                f"{what} could not be loaded ({type(error).__name__}: {error}). "
                "Reinstall DCGAN Studio's dependencies (the README's first "
                "command, `make run`), then start it again."
            )
            return
        self.progressed.emit(len(CORE_MODULES), "Building the views…")
        self.done.emit(time.perf_counter() - started)


class LoadingPage(QWidget):
    """The window's content while the core loads: the name, a progress bar, a line of text."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("loading-page")
        column = QVBoxLayout(self)
        column.addStretch(2)
        title = QLabel("DCGAN Studio")
        font = title.font()
        font.setPointSize(font.pointSize() * 2)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel(f"version {__version__}: train a DCGAN and watch it learn")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: PyTorch alone is most of the wait, in one step
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(360)
        self.text = QLabel("Loading…")
        self.text.setObjectName("loading-text")
        self.text.setWordWrap(True)
        self.text.setFixedWidth(520)
        self.text.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        for widget in (title, subtitle, self.bar, self.text):
            column.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(3)

    def show_step(self, done: int, text: str) -> None:
        self.text.setText(f"{text} ({done + 1} of {len(CORE_MODULES) + 1})")

    def show_failure(self, message: str) -> None:
        self.bar.hide()
        self.text.setText(message)
        self.text.setStyleSheet("color: #c0392b;")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)


class WindowFrame(QMainWindow):
    """The main window's Qt part: title, settings, saved geometry, the loading page.

    ``MainWindow`` derives from it; ``open_window`` shows a frame at once and turns it into the
    main window when the core has loaded.
    """

    views_ready = Signal()  # the views are built (emitted by ``open_window``)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        collect_garbage_on_gui_thread()  # before any worker thread: see background.py
        self.setWindowTitle("DCGAN Studio")
        self.setObjectName("main-window")
        self.settings = settings or QSettings("dcgan-studio", "DCGAN Studio")
        self.views_built = False
        self.resize(*DEFAULT_SIZE)
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Within the screen's free area: a first launch on a small screen, or a size saved on
        a larger screen, is made to fit (Qt restores a size larger than the screen as it was)."""
        screen = self.screen()
        if screen is None or self.isMaximized() or self.isFullScreen():
            return
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        margins = (frame.width() - self.width(), frame.height() - self.height())
        width = min(self.width(), area.width() - margins[0])
        height = min(self.height(), area.height() - margins[1])
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), area.x()), area.right() + 1 - frame.width())
        y = min(max(frame.y(), area.y()), area.bottom() + 1 - frame.height())
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def show_loading(self) -> LoadingPage:
        page = LoadingPage()
        self.setCentralWidget(page)
        self.statusBar().showMessage("Loading PyTorch and the views…")
        return page
