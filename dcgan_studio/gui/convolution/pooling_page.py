"""The explorer's "Pooling vs stride" page: one input through max pooling, average pooling and a
strided convolution with the Kernel page's kernel, side by side, each with its output size.

Pooling of size n is a window of n with stride n and no padding, so its size follows the same
formula as a convolution: o = floor((i + 2·0 − n)/n) + 1.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dcgan_studio.core import convolution as cv
from dcgan_studio.core.architecture import KERNEL as K
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.convolution.map_view import MapView
from dcgan_studio.gui.convolution.page import (
    ExplorerPage,
    add_labelled,
    error_label,
    spin,
)
from dcgan_studio.gui.convolution.text import output_shape, problem_text

WHY_STRIDES = (
    "<p><b>Why DCGAN has no pooling.</b> Max and average pooling downsample with a fixed rule: "
    "they have no weights to learn. A strided convolution downsamples too, but with weights, so "
    "the network learns what to keep as the map shrinks. DCGAN's discriminator uses only "
    f"strided convolutions ({K}×{K}, stride 2, padding 1: each halves the map); its generator "
    "runs the other way, with transposed convolutions (next page).</p>"
)


class PoolingPage(ExplorerPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = np.zeros((28, 28), np.float32)
        self.weights = cv.kernel("edge", 3)
        self.kernel_text = "edge 3×3"
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.pool_box = spin(
            1, 8, 2, "Pooling size n: each n×n block becomes one pixel (stride n, no padding)."
        )
        self.stride_box = spin(1, 4, 2, "Stride of the convolution: 2 halves the size, as in D.")
        self.padding_box = spin(
            0, 6, 1, "Padding of the convolution: rings of zeros around the input."
        )
        add_labelled(
            controls,
            (
                ("Pooling n×n, n =", self.pool_box),
                ("Convolution stride s", self.stride_box),
                ("padding p", self.padding_box),
            ),
        )
        self.kernel_label = QLabel()
        controls.addWidget(self.kernel_label)
        controls.addStretch(1)
        layout.addLayout(controls)

        row = QHBoxLayout()
        self.input_view = MapView("Input")
        self.max_view = MapView("Max pooling")
        self.avg_view = MapView("Average pooling")
        self.conv_view = MapView("Strided convolution", colour_bar=True)
        row.addWidget(self.input_view, 3)
        for view in (self.max_view, self.avg_view):
            row.addWidget(view, 5)
        row.addWidget(self.conv_view, 6)
        layout.addLayout(row, 1)
        self.message = error_label()
        layout.addWidget(self.message)
        why = QLabel(WHY_STRIDES)
        why.setWordWrap(True)
        why.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(why)
        for box in (self.pool_box, self.stride_box, self.padding_box):
            box.valueChanged.connect(lambda _: self.changed())

    # ---- inputs --------------------------------------------------------------------------------
    def set_input(self, image: np.ndarray) -> None:
        self.image = np.asarray(image, dtype=np.float32)
        self.changed()

    def set_kernel(self, weights: np.ndarray, text: str) -> None:
        self.weights, self.kernel_text = np.asarray(weights, dtype=np.float32), text
        self.changed()

    # ---- computing -----------------------------------------------------------------------------
    def recompute(self) -> None:
        image, n = self.image, self.pool_box.value()
        s, p, k = self.stride_box.value(), self.padding_box.value(), self.weights.shape[0]
        h, w = image.shape
        self.kernel_label.setText(f"kernel: {self.kernel_text} (from the Kernel page)")
        self.input_view.show_grey(image)
        self.input_view.title.setText(f"Input {h}×{w}")
        self.input_view.set_caption("i = " + (f"{h}" if h == w else f"{h} (height), {w} (width)"))
        problems = []
        try:
            shape, text = output_shape((h, w), n, n, 0)
            pooled = {"max": cv.max_pool(image, n), "average": cv.avg_pool(image, n)}
        except ConfigError as exc:
            problems.append(problem_text("pooling", exc) + " Lower the pooling size.")
            for name, view in (("Max", self.max_view), ("Average", self.avg_view)):
                view.clear_map()
                view.title.setText(f"{name} pooling: none")
        else:
            for (name, out), view in zip(pooled.items(), (self.max_view, self.avg_view)):
                view.show_grey(out)
                view.title.setText(f"{name.capitalize()} pooling {n}×{n} → {shape[0]}×{shape[1]}")
                view.set_caption(f"k = {n}, s = {n}, p = 0<br>{text}")
        try:
            shape, text = output_shape((h, w), k, s, p)
            out = cv.strided_conv(image, self.weights, stride=s, padding=p)
        except ConfigError as exc:
            problems.append(
                problem_text("strided convolution", exc) + " Lower the kernel size "
                "on the Kernel page, or raise the padding here."
            )
            self.conv_view.clear_map()
            self.conv_view.title.setText("Strided convolution: none")
        else:
            self.conv_view.show_signed(out)
            self.conv_view.title.setText(f"Convolution, stride {s} → {shape[0]}×{shape[1]}")
            self.conv_view.set_caption(f"k = {k}, s = {s}, p = {p}<br>{text}")
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))
