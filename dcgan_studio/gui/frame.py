"""The studio window before its views exist: on screen within about two seconds of launch.

PyTorch takes seconds to import on a small CPU, and every view of the studio needs it (through
the core). So the window comes up first, with Qt alone: its title, its saved place and size on
screen, and a page with a progress bar. The Qt-free core (PyTorch with it) is imported on a
worker meanwhile, which the core's rule of no Qt makes safe; the page follows it module by module.
Then, on the GUI thread, ``MainWindow`` composes the views into this same frame (its content),
which takes the page's place; the frame hands its show, resize and close events to the content.

Nothing here may import torch, pyqtgraph or the views: the launch benchmark and a test check
that the window is exposed before torch is in ``sys.modules``.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterator
from typing import Protocol

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QVBoxLayout, QWidget

from dcgan_studio import __version__
from dcgan_studio.gui.workers import Worker, collect_garbage_on_gui_thread

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
    """Imports ``CORE_MODULES`` on the ``dcgan-import`` worker; says each step, then done or
    failed (on the GUI thread)."""

    progressed = Signal(int, str)  # steps done so far, what comes next
    done = Signal(float)  # seconds it took
    failed = Signal(str)  # the error, in words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker("dcgan-import", self)
        self._loading = CORE_MODULES[0][1]  # what is being imported, for a failure's message

    def start(self) -> None:
        self._worker.submit(
            self._load,
            self.done.emit,
            on_yield=lambda step: self.progressed.emit(*step),
            on_error=self._on_error,
        )

    def _load(self) -> Iterator[tuple[int, str]]:
        started = time.perf_counter()
        for i, (module, what) in enumerate(CORE_MODULES):
            yield i, f"Loading {what}…"
            self._loading = what
            importlib.import_module(module)
        yield len(CORE_MODULES), "Building the views…"
        return time.perf_counter() - started

    def _on_error(self, error: Exception) -> None:  # a broken install: say which part
        self.failed.emit(
            f"{self._loading} could not be loaded ({type(error).__name__}: {error}). "
            "Reinstall DCGAN Studio's dependencies (the README's first "
            "command, `make run`), then start it again."
        )


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


class FrameContent(Protocol):
    """What a frame's content hears of the frame's own events."""

    def frame_shown(self) -> None: ...

    def frame_resized(self) -> None: ...

    def close_requested(self) -> bool:
        """True: the frame may close now; False: not yet (the content closes it later)."""
        ...


class WindowFrame(QMainWindow):
    """The main window's Qt part: title, settings, saved geometry, the loading page, and the
    content composed into it (``MainWindow``), to which it hands its show, resize and close.
    """

    views_ready = Signal()  # the content is built (emitted by ``open_window``)

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        collect_garbage_on_gui_thread()  # before any worker thread: see workers.py
        self.setWindowTitle("DCGAN Studio")
        self.setObjectName("main-window")
        self.settings = settings or QSettings("dcgan-studio", "DCGAN Studio")
        self.content: FrameContent | None = None
        self.resize(*DEFAULT_SIZE)
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self.fit_to_screen()

    @property
    def views_built(self) -> bool:
        return self.content is not None

    def set_content(self, content: FrameContent) -> None:
        self.content = content

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

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self.content is not None:
            self.content.frame_shown()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if self.content is not None:
            self.content.frame_resized()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.content is not None and not self.content.close_requested():
            event.ignore()
            return
        event.accept()
