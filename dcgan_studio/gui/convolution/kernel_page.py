"""The explorer's "Kernel" page: input ∗ kernel = feature map, with stride, padding and the output
size written out, as in the image-kernels demo (setosa.io/ev/image-kernels).

The input is drawn with its zero padding around it (a dashed line marks the image itself).
Pointing at an output pixel outlines the window it came from and writes out the sum.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QWidget

from dcgan_studio.core import convolution as cv
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.convolution.kernel_editor import KernelEditor
from dcgan_studio.gui.convolution.map_view import MapView, outline
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel
from dcgan_studio.gui.convolution.page import ExplorerPage, labelled_row
from dcgan_studio.gui.convolution.text import output_shape, problem_text, window_html
from dcgan_studio.gui.widgets.compact import spin_box, text_label

WINDOW_HINT = "Point at a pixel of the feature map to see the window of the input it comes from."
STRIDE_TIP = "Stride s: how many pixels the kernel moves each step. s = 2 halves the size."
PADDING_TIP = (
    "Padding p: rings of zeros added around the input. p = (k − 1)/2 keeps the size at stride 1."
)


class KernelPage(ExplorerPage):
    def __init__(self, source: ExplorerInput, kernel: Kernel, parent: QWidget | None = None):
        super().__init__(source, kernel, parent)
        self.output: np.ndarray | None = None  # the feature map on screen, None when impossible
        self.picked: tuple[int, int] | None = None  # the output pixel written out
        self._build()

    def _build(self) -> None:
        self.stride_box = spin_box(1, 4, 1, STRIDE_TIP)
        self.padding_box = spin_box(0, 6, 1, PADDING_TIP)
        self.magnitude_box = QCheckBox("Show |value|")
        self.magnitude_box.setToolTip(
            "Edges come in two signs (dark to bright, bright to "
            "dark); |value| shows both as bright."
        )
        controls = labelled_row((("Stride s", self.stride_box), ("Padding p", self.padding_box)))
        controls.addWidget(self.magnitude_box)
        self.input_view = MapView("Input")
        self.editor = KernelEditor(self.kernel)
        self.output_view = MapView("Feature map", colour_bar=True)
        layout = self.lay_out(
            controls, ((self.input_view, 5), "∗", (self.editor, 0), "=", (self.output_view, 6))
        )
        self.window_label = text_label(WINDOW_HINT, rich=True)
        self.window_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.window_label.setMinimumHeight(150)
        layout.addWidget(self.window_label)

        self.image_outline = outline(QColor(230, 200, 0), 1, dashed=True)
        self.input_view.add_item(self.image_outline)
        self.window_outline = outline()
        self.input_view.add_item(self.window_outline)
        self.pixel_outline = outline()
        self.output_view.add_item(self.pixel_outline)

        self.stride_box.valueChanged.connect(lambda _: self.changed())
        self.padding_box.valueChanged.connect(lambda _: self.changed())
        self.magnitude_box.toggled.connect(lambda _: self.changed())
        self.output_view.pixel_picked.connect(self.show_window)

    def stride(self) -> int:
        return self.stride_box.value()

    def padding(self) -> int:
        return self.padding_box.value()

    # ---- computing -----------------------------------------------------------------------------
    def recompute(self) -> None:
        image, weights = self.source.image, self.kernel.weights
        k, s, p = self.kernel.size, self.stride(), self.padding()
        h, w = image.shape
        self.input_view.show_grey(np.pad(image, p), origin=(-p, -p))
        self.input_view.title.setText(
            f"Input {h}×{w}"
            + (f", padded with {p} ring{'s' if p > 1 else ''} of zeros" if p else "")
        )
        self.image_outline.setRect(QRectF(0, 0, w, h))
        self.image_outline.setVisible(p > 0)
        try:
            shape, text = output_shape((h, w), k, s, p)
            self.output = cv.convolve(image, weights, stride=s, padding=p)
        except ConfigError as exc:
            self._show_problem(
                problem_text("feature map", exc) + " Lower the kernel size, or raise the padding."
            )
            return
        self.message.setVisible(False)
        self.output_view.show_signed(self.output, magnitude=self.magnitude_box.isChecked())
        self.output_view.title.setText(
            f"Feature map {shape[0]}×{shape[1]} ({self.kernel.preset_text()}, stride {s})"
        )
        self.output_view.set_caption(text)
        self._show_picked()

    def _show_problem(self, text: str) -> None:
        self.output = None
        self.output_view.clear_map("Feature map: none")
        self.message.setText(text)
        self.message.setVisible(True)
        self.picked = None
        self._show_picked()

    # ---- one output pixel ----------------------------------------------------------------------
    def show_window(self, row: int, col: int) -> None:
        """Outline output pixel (row, col), its window of the input, and write out its sum."""
        self.picked = (row, col)
        self._show_picked()

    def _show_picked(self) -> None:
        out = self.output
        if out is not None and self.picked is not None:
            row, col = self.picked
            if not (row < out.shape[0] and col < out.shape[1]):
                self.picked = None  # the map shrank under it
        if out is None or self.picked is None:
            self.window_outline.hide()
            self.pixel_outline.hide()
            self.window_label.setText(WINDOW_HINT)
            return
        row, col = self.picked
        k, s, p = self.kernel.size, self.stride(), self.padding()
        self.window_outline.setRect(QRectF(col * s - p, row * s - p, k, k))
        self.pixel_outline.setRect(QRectF(col, row, 1, 1))
        self.window_outline.show()
        self.pixel_outline.show()
        self.window_label.setText(
            window_html(
                self.source.image, self.kernel.weights, s, p, row, col, float(out[row, col])
            )
        )
