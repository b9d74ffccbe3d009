"""The convolution explorer: a kernel on a digit (or any picture), pooling beside a strided
convolution, and a transposed convolution, each with its output size written out.

One input feeds three pages (``KernelPage``, ``PoolingPage``, ``TransposedPage``); the Kernel
page's kernel also drives the other two. The maths is ``core.convolution`` on 2-D arrays of a few
hundred pixels a side at most: milliseconds, so it runs on the GUI thread. Only a picture file is
decoded on a background thread (``run_in_background``); a newer choice of input wins over a read
still under way, and a file that cannot be read leaves the previous input in place.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core import convolution as cv
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.background import run_in_background
from dcgan_studio.gui.convolution.kernel_page import KernelPage
from dcgan_studio.gui.convolution.page import ERROR_STYLE
from dcgan_studio.gui.convolution.pooling_page import PoolingPage
from dcgan_studio.gui.convolution.transposed_page import TransposedPage

log = logging.getLogger(__name__)

MAX_SIDE = 256  # larger pictures are scaled down: the maps stay readable and the maths instant
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"


class ImageFileError(StudioError):
    pass


def read_grey_image(path: str | Path, max_side: int = MAX_SIDE) -> tuple[np.ndarray, str]:
    """A picture file as a float32 (H, W) grey image in [0, 1], at most ``max_side`` a side,
    and a line describing it; ``ImageFileError`` names the file and the fix."""
    from PIL import Image

    path = Path(path)
    fix = "choose a PNG, JPEG, BMP, GIF or TIFF picture; the previous image is kept"
    try:
        if path.stat().st_size == 0:
            raise ImageFileError(f"{path.name} is empty (0 bytes): {fix}")
        with Image.open(path) as picture:
            picture.load()
            grey = picture.convert("L")
    except ImageFileError:
        raise
    except FileNotFoundError:
        raise ImageFileError(
            f"{path.name} does not exist (any more) in {path.parent}: {fix}"
        ) from None
    except Exception as exc:  # Pillow raises many kinds for a damaged or foreign file
        reason = (
            "not a picture format Pillow can read, or damaged"
            if type(exc).__name__ == "UnidentifiedImageError"
            else f"{exc}"
        )
        raise ImageFileError(f"{path.name} cannot be read as a picture ({reason}): {fix}") from exc
    width, height = grey.size
    if max(width, height) > max_side:
        grey.thumbnail((max_side, max_side))
    image = np.asarray(grey, dtype=np.float32) / 255.0
    described = (
        f"{path.name}: {height}×{width} (height×width)"
        + (
            f", scaled down to {image.shape[0]}×{image.shape[1]}"
            if (width, height) != grey.size
            else ""
        )
        + ", in grey"
    )
    return image, described


class ConvolutionExplorer(QWidget):
    input_changed = Signal(str)  # a new input is on every page: the line describing it
    input_failed = Signal(str)  # a picture could not be read: the message (the input stays)

    def __init__(self, digit: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((28, 28), np.float32)
        self.input_text = ""
        self._generation = 0  # drops a picture read that a newer choice overtook
        self._build()
        self.select_digit(digit)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.digit_box = QSpinBox()
        try:
            count = cv.digit_count()
        except StudioError as exc:  # the bundled file is missing: the explorer still opens
            count = 1
            self.input_text = str(exc)
        self.digit_box.setRange(0, count - 1)
        self.digit_box.setToolTip(f"One of the {count} built-in MNIST digits, 28×28.")
        self.digit_button = QPushButton("Show digit")
        self.digit_button.setToolTip("Go back to the built-in digit after opening a picture.")
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip(
            "Any picture file; it is turned grey, and scaled down to "
            f"{MAX_SIDE} pixels a side if larger."
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        row.addWidget(QLabel("Input: digit"))
        row.addWidget(self.digit_box)
        row.addWidget(self.digit_button)
        row.addWidget(self.open_button)
        row.addWidget(self.status, 1)
        layout.addLayout(row)
        self.tabs = QTabWidget()
        self.kernel_page = KernelPage()
        self.pooling_page = PoolingPage()
        self.transposed_page = TransposedPage()
        self.tabs.addTab(self.kernel_page, "Kernel")
        self.tabs.addTab(self.pooling_page, "Pooling vs stride")
        self.tabs.addTab(self.transposed_page, "Transposed convolution")
        layout.addWidget(self.tabs, 1)

        self.digit_box.valueChanged.connect(self.select_digit)
        self.digit_button.clicked.connect(lambda: self.select_digit(self.digit_box.value()))
        self.open_button.clicked.connect(self._on_open_clicked)
        self.kernel_page.editor.kernel_changed.connect(self._on_kernel_changed)
        self._on_kernel_changed()

    # ---- input ---------------------------------------------------------------------------------
    def select_digit(self, index: int) -> None:
        """Show built-in digit ``index`` on every page."""
        self._generation += 1  # a picture still being read must not replace it
        try:
            image, label = cv.load_digit(index), cv.digit_label(index)
        except StudioError as exc:
            self._show_failure(str(exc))
            return
        if self.digit_box.value() != index:
            self.digit_box.blockSignals(True)
            self.digit_box.setValue(index)
            self.digit_box.blockSignals(False)
        self._set_input(image, f"built-in digit {index}: a handwritten {label}, 28×28")

    def open_image(self, path: str | Path) -> None:
        """Read a picture off the GUI thread; ``input_changed`` or ``input_failed`` follows."""
        self._generation += 1
        generation, path = self._generation, Path(path)
        self._set_status(f"Reading {path.name}…")
        run_in_background(
            self,
            lambda: read_grey_image(path),
            lambda result, error: self._on_image_read(generation, path, result, error),
        )

    def _on_open_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if path:
            self.open_image(path)

    def _on_image_read(self, generation: int, path: Path, result, error) -> None:
        if generation != self._generation:
            return  # the person chose something else meanwhile
        if error is None:
            image, described = result
            self._set_input(image, described)
            return
        if isinstance(error, StudioError):
            text = str(error)
        else:  # a bug: one line here, the traceback in the log
            log.error("reading %s failed", path, exc_info=error)
            text = (
                f"{path.name} could not be read ({type(error).__name__}: {error}); the "
                f"previous image is kept and the details are in the log file"
            )
        self._show_failure(text)

    def _set_input(self, image: np.ndarray, text: str) -> None:
        self.image, self.input_text = image, text
        self.kernel_page.set_input(image)
        self.pooling_page.set_input(image)
        self.transposed_page.set_input(image)
        self._set_status(text)
        self.input_changed.emit(text)

    def _show_failure(self, text: str) -> None:
        self._set_status(text, error=True)
        self.input_failed.emit(text)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    # ---- kernel --------------------------------------------------------------------------------
    def _on_kernel_changed(self) -> None:
        editor = self.kernel_page.editor
        self.pooling_page.set_kernel(editor.weights, editor.preset_text())
        self.transposed_page.set_kernel(editor.weights, editor.preset_text())
