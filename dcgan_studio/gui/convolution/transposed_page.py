"""The explorer's "Transposed convolution" page: a small map upsampled as G does it, every input
pixel stamping a copy of the kernel scaled by its value, with the output size written out.

DCGAN's blocks use k = 4, s = 2, p = 1, which doubles the size. When k is not a multiple of s
the stamps overlap unevenly and leave a checkerboard (Odena, Dumoulin and Olah, 2016): the
all-ones map with the ones kernel shows it plainly.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QWidget

from dcgan_studio.core import convolution as cv
from dcgan_studio.core.concepts import explain
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.convolution.map_view import MapView
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel
from dcgan_studio.gui.convolution.page import ExplorerPage, labelled_row
from dcgan_studio.gui.convolution.text import input_caption, output_shape, problem_text
from dcgan_studio.gui.widgets.compact import push_button, spin_box, text_label

SMALL_MAPS = {
    "pooled": "the input, average-pooled to about 7×7",
    "pixel": "one bright pixel (3×3)",
    "ones": "all ones (4×4)",
}
KERNELS = {"bilinear": "bilinear (tent)", "ones": "all ones", "page": "the Kernel page's"}
DCGAN = (4, 2, 1)  # k, s, p of G's upsampling blocks


def bilinear_kernel(k: int) -> np.ndarray:
    """The tent that makes a stride-(k+1)//2 transposed convolution a bilinear upsampling."""
    factor = (k + 1) // 2
    centre = factor - 1 if k % 2 == 1 else factor - 0.5
    tent = 1 - np.abs(np.arange(k) - centre) / factor
    return np.outer(tent, tent).astype(np.float32)


def small_map(name: str, image: np.ndarray) -> np.ndarray:
    if name == "pixel":
        out = np.zeros((3, 3), np.float32)
        out[1, 1] = 1.0
        return out
    if name == "ones":
        return np.ones((4, 4), np.float32)
    return cv.avg_pool(image, max(1, min(image.shape) // 7))


def overlap_note(k: int, s: int) -> str:
    if k % s:
        return (
            f"⚠ k = {k} is not a multiple of s = {s}: neighbouring stamps overlap unevenly, "
            f"so some output pixels receive more copies of the kernel than others, a "
            f"checkerboard artefact. Try the all-ones map with the all-ones kernel to see it. "
            f"DCGAN's k = 4, s = 2 overlaps evenly."
        )
    return (
        f"k = {k} is a multiple of s = {s}: away from the border every output pixel "
        f"receives the same number of kernel copies, so uneven overlap leaves no "
        f"checkerboard."
    )


class TransposedPage(ExplorerPage):
    def __init__(self, source: ExplorerInput, kernel: Kernel, parent: QWidget | None = None):
        super().__init__(source, kernel, parent)
        self.output: np.ndarray | None = None
        self._build()

    def _build(self) -> None:
        self.map_box = QComboBox()
        for name, text in SMALL_MAPS.items():
            self.map_box.addItem(text, name)
        self.kernel_box = QComboBox()
        for name, text in KERNELS.items():
            self.kernel_box.addItem(text, name)
        self.k_box = spin_box(1, 8, DCGAN[0], "Kernel size k of the transposed convolution.")
        self.s_box = spin_box(1, 4, DCGAN[1], "Stride s: input pixels stamp s output pixels apart.")
        self.p_box = spin_box(
            0, 8, DCGAN[2], "Padding p: crops p pixels from every border of the stamped result."
        )
        self.dcgan_button = push_button(
            "DCGAN: k=4, s=2, p=1",
            "The setting of G's blocks: each doubles the map.",
            self.use_dcgan_setting,
        )
        boxes = (("Small map", self.map_box), ("Kernel", self.kernel_box))
        sizes = (("k", self.k_box), ("s", self.s_box), ("p", self.p_box))
        controls = labelled_row((*boxes, *sizes), 8)
        controls.addWidget(self.dcgan_button)
        self.input_view = MapView("Small map")
        self.kernel_view = MapView("Kernel")
        self.output_view = MapView("Upsampled", colour_bar=True)
        layout = self.lay_out(
            controls, ((self.input_view, 4), "⊛", (self.kernel_view, 3), "=", (self.output_view, 7))
        )
        self.note = text_label()
        layout.addWidget(self.note)
        layout.addWidget(text_label(explain("conv_transpose").long, rich=True))

        self.map_box.currentIndexChanged.connect(lambda _: self.changed())
        self.kernel_box.currentIndexChanged.connect(lambda _: self.changed())
        for box in (self.k_box, self.s_box, self.p_box):
            box.valueChanged.connect(lambda _: self.changed())
        self._name_page_kernel()

    def _on_kernel_changed(self) -> None:
        self._name_page_kernel()
        self.changed()

    def _name_page_kernel(self) -> None:
        """The Kernel page's kernel, used when "the Kernel page's" is chosen, by its name."""
        text = self.kernel.preset_text()
        self.kernel_box.setItemText(self.kernel_box.findData("page"), f"the Kernel page's ({text})")

    def use_dcgan_setting(self) -> None:
        boxes = (self.kernel_box, self.k_box, self.s_box, self.p_box)
        for box in boxes:
            box.blockSignals(True)
        if self.kernel_box.currentData() == "page":  # its size is fixed: use one of size 4
            self.kernel_box.setCurrentIndex(self.kernel_box.findData("bilinear"))
        for box, value in zip(boxes[1:], DCGAN):
            box.setValue(value)
        for box in boxes:
            box.blockSignals(False)
        self.changed()

    def weights(self) -> np.ndarray:
        choice = self.kernel_box.currentData()
        if choice == "page":
            return self.kernel.weights
        k = self.k_box.value()
        return np.ones((k, k), np.float32) if choice == "ones" else bilinear_kernel(k)

    # ---- computing -----------------------------------------------------------------------------
    def recompute(self) -> None:
        page_kernel = self.kernel_box.currentData() == "page"
        if page_kernel:  # the Kernel page decides the size
            self.k_box.blockSignals(True)
            self.k_box.setValue(self.kernel.size)
            self.k_box.blockSignals(False)
        self.k_box.setEnabled(not page_kernel)
        small, weights = small_map(self.map_box.currentData(), self.source.image), self.weights()
        k, s, p = weights.shape[0], self.s_box.value(), self.p_box.value()
        h, w = small.shape
        self.input_view.show_grey(small, (0.0, max(1.0, float(small.max()))))
        self.input_view.title.setText(f"Small map {h}×{w}")
        self.input_view.set_caption(input_caption(h, w))
        self.kernel_view.show_signed(weights)
        self.kernel_view.title.setText(f"Kernel {k}×{k}")
        self.kernel_view.set_caption(f"k = {k}, s = {s}, p = {p}")
        self.note.setText(overlap_note(k, s))
        try:
            shape, text = output_shape((h, w), k, s, p, transposed=True)
            self.output = cv.transposed_conv(small, weights, stride=s, padding=p)
        except ConfigError as exc:
            self.output = None
            self.output_view.clear_map("Upsampled: none")
            self.message.setText(
                problem_text("upsampled map", exc) + " Lower the padding, or "
                "raise the kernel size or the stride."
            )
            self.message.setVisible(True)
            return
        self.message.setVisible(False)
        self.output_view.show_signed(self.output)
        self.output_view.title.setText(f"Upsampled {shape[0]}×{shape[1]}")
        self.output_view.set_caption(text)
