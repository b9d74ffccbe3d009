"""The Save row of the latent space: an image, a grid, a strip, a GIF, or a folder of samples.

A view of ``LatentSelection`` (scale and count are the model's); a button asks where, then
``save(kind, out, interactive)`` renders and writes it off the GUI thread, with a JSON sidecar
beside every file from which ``dcgan-studio sample --from-sidecar`` makes it again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel, QPushButton, QSpinBox, QWidget

from dcgan_studio.gui.latent.model import LatentSelection
from dcgan_studio.gui.latent.pinned import PinnedVectors

KINDS = {  # kind: (button, tooltip, file filter)
    "image": (
        "Image…",
        "The current image as a PNG, every pixel enlarged to a Scale × Scale block.",
        "PNG image (*.png)",
    ),
    "grid": (
        "Grid…",
        "The shelf's vectors as one grid PNG; with none pinned, N random vectors from the seed.",
        "PNG image (*.png)",
    ),
    "strip": ("Strip…", "The interpolation strip as one PNG row.", "PNG image (*.png)"),
    "animation": ("GIF…", "The interpolation as a looping GIF.", "GIF animation (*.gif)"),
    "samples": ("Samples…", "N random vectors from the seed, one PNG each, into a folder.", ""),
}
SIDECAR_TIP = (
    " A .json sidecar beside it lets `dcgan-studio sample --from-sidecar` make it again, exactly."
)
Save = Callable[[str, Path, bool], None]  # (kind, out, interactive: a failure in a dialog too)


def _spin(low: int, high: int, value: int, prefix: str, tooltip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setPrefix(prefix)
    spin.setToolTip(tooltip)
    return spin


class SaveBar(QWidget):
    def __init__(
        self,
        model: LatentSelection,
        shelf: PinnedVectors,
        save: Save,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model, self.shelf, self._save = model, shelf, save
        layout = QGridLayout(self)  # two rows: one would hold the dock 600 px wide
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Save"), 0, 0)
        self.scale = _spin(
            1,
            16,
            model.save_scale,
            "×",
            "Scale: each of G's pixels becomes a Scale × Scale block (nearest-neighbour, no blur).",
        )
        self.count = _spin(
            1,
            1024,
            model.save_count,
            "N ",
            "How many random vectors (from the seed) a grid with an empty shelf, or a samples "
            "folder, holds.",
        )
        for spin in (self.scale, self.count):
            spin.valueChanged.connect(self._on_size_changed)
        layout.addWidget(self.scale, 0, 1)
        layout.addWidget(self.count, 0, 2)
        self.buttons: dict[str, QPushButton] = {}
        for index, (kind, (text, tip, _filter)) in enumerate(KINDS.items()):
            button = QPushButton(text)
            button.setToolTip(tip + SIDECAR_TIP)
            button.clicked.connect(lambda _=False, k=kind: self.ask_and_save(k))
            layout.addWidget(button, 1 + index // 3, index % 3)
            self.buttons[kind] = button
        shelf.changed.connect(self._on_shelf_changed)

    def _on_size_changed(self) -> None:
        self.model.save_scale, self.model.save_count = self.scale.value(), self.count.value()

    def _on_shelf_changed(self) -> None:
        pinned = len(self.shelf)
        self.buttons["grid"].setToolTip(
            f"The shelf's {pinned} vectors as one grid PNG." if pinned else KINDS["grid"][1]
        )

    def ask_and_save(self, kind: str) -> None:
        start = str(self.model.run_root or Path.home())
        if kind == "samples":
            out = QFileDialog.getExistingDirectory(self, "Save samples into a folder", start)
        else:
            name = self.model.base_name.replace(" ", "-") if kind == "image" else kind
            out, _ = QFileDialog.getSaveFileName(
                self, f"Save {kind}", str(Path(start) / f"{name}"), KINDS[kind][2]
            )
        if out:
            self._save(kind, Path(out), True)
