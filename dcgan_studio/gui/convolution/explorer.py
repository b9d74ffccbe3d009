"""The convolution explorer: a kernel on a digit (or any picture), pooling beside a strided
convolution, and a transposed convolution, each with its output size written out.

One input (``ExplorerInput``) feeds three pages (``KernelPage``, ``PoolingPage``,
``TransposedPage``); the Kernel page's kernel (``Kernel``) drives the other two as well. The maths
is ``core.convolution`` on 2-D arrays of a few hundred pixels a side at most: milliseconds, so it
runs on the GUI thread. Only a picture file is decoded off it, by the ``PictureReader`` the
explorer is given; ``shutdown()`` stops that reader's worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.convolution import MAX_SIDE
from dcgan_studio.gui.convolution.kernel_page import KernelPage
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel
from dcgan_studio.gui.convolution.page import ERROR_STYLE
from dcgan_studio.gui.convolution.pooling_page import PoolingPage
from dcgan_studio.gui.convolution.transposed_page import TransposedPage
from dcgan_studio.gui.widgets.compact import push_button, text_label

if TYPE_CHECKING:
    from dcgan_studio.gui.convolution.jobs import PictureReader

__all__ = ["MAX_SIDE", "ConvolutionExplorer"]

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class ConvolutionExplorer(QWidget):
    input_changed = Signal(str)  # a new input is on every page: the line describing it
    input_failed = Signal(str)  # a picture could not be read: the message (the input stays)

    def __init__(
        self,
        source: ExplorerInput,
        kernel: Kernel,
        reader: PictureReader,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source, self.kernel = source, kernel
        self.reader = reader  # reads the pictures ``source`` asks for; ``shutdown`` stops it
        layout = QVBoxLayout(self)
        layout.addLayout(self._input_row())
        self.tabs = QTabWidget()
        self.kernel_page = KernelPage(source, kernel)
        self.pooling_page = PoolingPage(source, kernel)
        self.transposed_page = TransposedPage(source, kernel)
        self.tabs.addTab(self.kernel_page, "Kernel")
        self.tabs.addTab(self.pooling_page, "Pooling vs stride")
        self.tabs.addTab(self.transposed_page, "Transposed convolution")
        layout.addWidget(self.tabs, 1)
        source.input_changed.connect(self._on_source_input_changed)
        source.failed.connect(self.input_failed.emit)
        source.status_changed.connect(self._on_source_status_changed)
        self._on_source_status_changed()

    def _input_row(self) -> QHBoxLayout:
        count = self.source.digit_count
        self.digit_box = QSpinBox()
        self.digit_box.setRange(0, count - 1)
        self.digit_box.setValue(self.source.digit)
        self.digit_box.setToolTip(f"One of the {count} built-in MNIST digits, 28×28.")
        self.digit_box.valueChanged.connect(self.source.select_digit)
        self.digit_button = push_button(
            "Show digit",
            "Go back to the built-in digit after opening a picture.",
            lambda: self.source.select_digit(self.digit_box.value()),
        )
        self.open_button = push_button(
            "Open image…",
            "Any picture file; it is turned grey, and scaled down to "
            f"{MAX_SIDE} pixels a side if larger.",
            self._on_open_clicked,
        )
        self.status = text_label()
        row = QHBoxLayout()
        row.addWidget(QLabel("Input: digit"))
        row.addWidget(self.digit_box)
        row.addWidget(self.digit_button)
        row.addWidget(self.open_button)
        row.addWidget(self.status, 1)
        return row

    # ---- what is shown -------------------------------------------------------------------------
    @property
    def image(self) -> np.ndarray:
        """The input on every page."""
        return self.source.image

    def select_digit(self, index: int) -> None:
        """Show built-in digit ``index`` on every page."""
        self.source.select_digit(index)

    def open_image(self, path: str | Path) -> None:
        """Read a picture off the GUI thread; ``input_changed`` or ``input_failed`` follows."""
        self.source.open_image(path)

    def shutdown(self) -> None:
        """Stop the picture reader's worker (the window closes); a read under way ends on its
        own, its picture unused."""
        self.reader.shutdown(timeout=0)

    # ---- handlers ------------------------------------------------------------------------------
    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if path:
            self.source.open_image(path)

    def _on_source_input_changed(self) -> None:
        if self.digit_box.value() != self.source.digit:
            self.digit_box.blockSignals(True)
            self.digit_box.setValue(self.source.digit)
            self.digit_box.blockSignals(False)
        self.input_changed.emit(self.source.text)

    def _on_source_status_changed(self) -> None:
        self.status.setText(self.source.status)
        self.status.setStyleSheet(ERROR_STYLE if self.source.status_error else "")
