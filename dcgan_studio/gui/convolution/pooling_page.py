"""The explorer's "Pooling vs stride" page: one input through max pooling, average pooling and a
strided convolution with the Kernel page's kernel, side by side, each with its output size.

Pooling of size n is a window of n with stride n and no padding, so its size follows the same
formula as a convolution: o = floor((i + 2·0 − n)/n) + 1.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from dcgan_studio.core import convolution as cv
from dcgan_studio.core.architecture import KERNEL as K
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.convolution.map_view import MapView
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel
from dcgan_studio.gui.convolution.page import ExplorerPage, labelled_row
from dcgan_studio.gui.convolution.text import input_caption, output_shape, problem_text
from dcgan_studio.gui.widgets.compact import spin_box, text_label

WHY_STRIDES = (
    "<p><b>Why DCGAN has no pooling.</b> Max and average pooling downsample with a fixed rule: "
    "they have no weights to learn. A strided convolution downsamples too, but with weights, so "
    "the network learns what to keep as the map shrinks. DCGAN's discriminator uses only "
    f"strided convolutions ({K}×{K}, stride 2, padding 1: each halves the map); its generator "
    "runs the other way, with transposed convolutions (next page).</p>"
)


class PoolingPage(ExplorerPage):
    def __init__(self, source: ExplorerInput, kernel: Kernel, parent: QWidget | None = None):
        super().__init__(source, kernel, parent)
        self._build()

    def _build(self) -> None:
        self.pool_box = spin_box(
            1, 8, 2, "Pooling size n: each n×n block becomes one pixel (stride n, no padding)."
        )
        self.stride_box = spin_box(
            1, 4, 2, "Stride of the convolution: 2 halves the size, as in D."
        )
        self.padding_box = spin_box(
            0, 6, 1, "Padding of the convolution: rings of zeros around the input."
        )
        controls = labelled_row(
            (
                ("Pooling n×n, n =", self.pool_box),
                ("Convolution stride s", self.stride_box),
                ("padding p", self.padding_box),
            )
        )
        self.kernel_label = QLabel()
        controls.addWidget(self.kernel_label)
        self.input_view = MapView("Input")
        self.max_view = MapView("Max pooling")
        self.avg_view = MapView("Average pooling")
        self.conv_view = MapView("Strided convolution", colour_bar=True)
        layout = self.lay_out(
            controls,
            ((self.input_view, 3), (self.max_view, 5), (self.avg_view, 5), (self.conv_view, 6)),
        )
        layout.addWidget(text_label(WHY_STRIDES, rich=True))
        for box in (self.pool_box, self.stride_box, self.padding_box):
            box.valueChanged.connect(lambda _: self.changed())

    # ---- computing -----------------------------------------------------------------------------
    def recompute(self) -> None:
        image, weights = self.source.image, self.kernel.weights
        h, w = image.shape
        self.kernel_label.setText(f"kernel: {self.kernel.preset_text()} (from the Kernel page)")
        self.input_view.show_grey(image)
        self.input_view.title.setText(f"Input {h}×{w}")
        self.input_view.set_caption(input_caption(h, w))
        problems = [self._pool(image), self._convolve(image, weights)]
        problems = [text for text in problems if text]
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))

    def _pool(self, image) -> str:
        """Max and average pooling of ``image``; what is wrong ("" when they have an output)."""
        n = self.pool_box.value()
        try:
            shape, text = output_shape(image.shape, n, n, 0)
            pooled = {"max": cv.max_pool(image, n), "average": cv.avg_pool(image, n)}
        except ConfigError as exc:
            for name, view in (("Max", self.max_view), ("Average", self.avg_view)):
                view.clear_map(f"{name} pooling: none")
            return problem_text("pooling", exc) + " Lower the pooling size."
        for (name, out), view in zip(pooled.items(), (self.max_view, self.avg_view)):
            view.show_grey(out)
            view.title.setText(f"{name.capitalize()} pooling {n}×{n} → {shape[0]}×{shape[1]}")
            view.set_caption(f"k = {n}, s = {n}, p = 0<br>{text}")
        return ""

    def _convolve(self, image, weights) -> str:
        """The strided convolution of ``image``; what is wrong ("" when it has an output)."""
        s, p, k = self.stride_box.value(), self.padding_box.value(), weights.shape[0]
        try:
            shape, text = output_shape(image.shape, k, s, p)
            out = cv.strided_conv(image, weights, stride=s, padding=p)
        except ConfigError as exc:
            self.conv_view.clear_map("Strided convolution: none")
            return (
                problem_text("strided convolution", exc) + " Lower the kernel size "
                "on the Kernel page, or raise the padding here."
            )
        self.conv_view.show_signed(out)
        self.conv_view.title.setText(f"Convolution, stride {s} → {shape[0]}×{shape[1]}")
        self.conv_view.set_caption(f"k = {k}, s = {s}, p = {p}<br>{text}")
        return ""
