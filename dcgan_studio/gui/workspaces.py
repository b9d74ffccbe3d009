"""The window's workspaces, as tabs: training a DCGAN, the runs library with runs compared
side by side, and the two building blocks the guides teach first (a GAN on a 1-D distribution,
and convolution / pooling / transposed convolution).

The docks around the window (controls, losses, feature maps, ...) belong to training: leaving the
training tab puts them away, and coming back brings them back exactly as they were, so the
playground and the explorer get the whole window. Training goes on while another tab is in front.
The runs page, the playground and the explorer are built the first time their tab is chosen
(about a second less before the window shows on a 2-core CPU).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QTabBar,
    QTabWidget,
    QWidget,
)

from dcgan_studio.gui.convolution.explorer import ConvolutionExplorer
from dcgan_studio.gui.convolution.workspace import make_convolution_explorer
from dcgan_studio.gui.gan1d.playground import Gan1dPlayground
from dcgan_studio.gui.gan1d.workspace import make_playground
from dcgan_studio.gui.widgets.scrolling import scrolling
from dcgan_studio.gui.widgets.wheel_guard import guard_wheel

TRAIN, RUNS, GAN1D, CONVOLUTION = 0, 1, 2, 3


class WorkspaceTabs(QTabWidget):
    def __init__(
        self, window: QMainWindow, train_page: QWidget, make_runs_page: Callable[[], QWidget]
    ) -> None:
        super().__init__()
        self.setObjectName("workspaces")
        self.setDocumentMode(True)
        self._window = window
        self._dock_state: QByteArray | None = None  # the docks as they were, while put away
        # the learning tabs: how each is made, and the page once made (on first sight: quicker
        # start); in scroll areas, so a small window scrolls them instead of being held wide
        self._makers = {
            RUNS: make_runs_page,
            GAN1D: make_playground,
            CONVOLUTION: make_convolution_explorer,
        }
        self._pages: dict[int, QWidget] = {}
        self._scrolls = {index: scrolling(QWidget(), fill=index == RUNS) for index in self._makers}
        self.addTab(train_page, "Train a DCGAN")
        self.addTab(self._scrolls[RUNS], "Runs and Compare")
        self.addTab(self._scrolls[GAN1D], "1-D GAN playground")
        self.addTab(self._scrolls[CONVOLUTION], "Convolution explorer")
        self.setTabToolTip(TRAIN, "Train a DCGAN and look inside it, live")
        self.setTabToolTip(
            RUNS,
            "Every run you trained: open, rename, delete, compare runs side by side, and "
            "branch a run from any checkpoint with a setting changed",
        )
        self.setTabToolTip(
            GAN1D,
            "A tiny GAN learns a 1-D distribution: watch G's density "
            "slide onto the real one, and D's opinion of every x",
        )
        self.setTabToolTip(
            CONVOLUTION,
            "Kernels on a digit: convolution, pooling against a "
            "strided convolution, transposed convolution, with their sizes",
        )
        self.currentChanged.connect(self._on_tab_changed)

    def _page(self, index: int) -> QWidget:
        """The learning tab's page, made the first time it is asked for."""
        if index not in self._pages:
            page = self._pages[index] = self._makers[index]()
            guard_wheel(page)
            self._scrolls[index].setWidget(page)
        return self._pages[index]

    @property
    def runs(self) -> QWidget:
        return self._page(RUNS)

    def show_runs(self) -> None:
        self.setCurrentIndex(RUNS)

    @property
    def playground(self) -> Gan1dPlayground:
        return self._page(GAN1D)

    @property
    def convolution(self) -> ConvolutionExplorer:
        return self._page(CONVOLUTION)

    def _on_tab_changed(self, index: int) -> None:
        if index in self._makers:
            self._page(index)  # made on first sight
        if index == TRAIN:
            if self._dock_state is not None:
                self._window.restoreState(self._dock_state)
                self._dock_state = None
                hide_stale_tab_bars_soon(self._window)
        elif self._dock_state is None:
            self._dock_state = self._window.saveState()
            for dock in self._window.findChildren(QDockWidget):
                dock.hide()

    def dock_state(self) -> QByteArray:
        """The training layout to keep in the settings, even while it is put away."""
        return self._dock_state if self._dock_state is not None else self._window.saveState()

    def show_training(self) -> None:
        self.setCurrentIndex(TRAIN)

    def shutdown(self) -> None:
        for page in self._pages.values():
            page.shutdown()


def hide_stale_tab_bars(window: QMainWindow) -> None:
    """Hide the dock tab bars Qt (6.11) leaves on screen from earlier layouts.

    Tabifying docks and restoring a layout leave extra tab bars of the window visible, showing
    old tabs over the status bar or a view. A live bar sits right under the dock of its current
    tab (tabs at the south); any other visible bar of the window is one of these leftovers.
    """
    docks = {dock.windowTitle(): dock for dock in window.findChildren(QDockWidget)}
    for bar in window.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if not bar.isVisible():
            continue
        dock = docks.get(bar.tabText(bar.currentIndex()))
        below = (
            dock is not None
            and dock.isVisible()
            and abs(dock.geometry().bottom() + 1 - bar.geometry().top()) <= 3
            and abs(dock.geometry().left() - bar.geometry().left()) <= 3
        )
        if not below:
            bar.hide()


def hide_stale_tab_bars_soon(window: QMainWindow) -> None:
    """After the layout has settled (the next turn of the event loop)."""
    QTimer.singleShot(0, window, lambda: hide_stale_tab_bars(window))
