"""The explorer's kernel: a preset, a size, and a grid of numbers to edit, tinted as a heat map.

The numbers live in ``weights`` (exact, float32); the cells show them to 3 significant digits.
Typing in a cell accepts a number or a fraction ("-1", "0.25", "1/16"); the preset becomes
"custom" and ``kernel_changed`` fires at once. Text that is not a number is put back, with a
message saying what to type. Resizing a custom kernel keeps its centre (3 -> 5 pads with zeros,
5 -> 3 keeps the middle 3x3).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core import convolution as cv
from dcgan_studio.gui.inspect.filters_panel import diverging_rgb

CUSTOM = "custom"
PRESETS = {  # core name -> (shown name, what it does)
    "identity": ("identity", "Copies the centre pixel: the output is the input."),
    "edge": (
        "edge (outline)",
        "The centre against all its neighbours. The weights sum to 0, so "
        "flat areas give 0 and the outlines of the strokes light up.",
    ),
    "sobel_x": (
        "sobel x (vertical edges)",
        "Right minus left: positive where the image gets "
        "brighter to the right (a stroke's left side), negative where it gets darker.",
    ),
    "sobel_y": (
        "sobel y (horizontal edges)",
        "Below minus above: positive on the top side of a stroke, negative on its bottom side.",
    ),
    "box_blur": ("box blur", "The plain mean of the window (weights sum to 1): a blur."),
    "gaussian_blur": ("gaussian blur", "A mean weighted towards the centre: a softer blur."),
    "sharpen": (
        "sharpen",
        "The centre boosted against its neighbours. The weights sum to 1, so "
        "flat areas keep their value and edges gain contrast.",
    ),
    "emboss": ("emboss", "Bottom-right minus top-left: a relief lit from one side (3×3 only)."),
}
CUSTOM_TEXT = "Your own numbers. Try a row of −1 above a row of +1 for horizontal edges."
CELL = (58, 30)  # width, height of a cell in pixels


def parse_weight(text: str) -> float:
    """ "-1", "0.25", "1/16", "−2" -> float; ValueError for anything else (or not finite)."""
    cleaned = text.strip().replace("−", "-").replace(",", ".")
    if "/" in cleaned:
        top, bottom = cleaned.split("/", 1)
        value = float(top) / float(bottom)  # ZeroDivisionError is an ArithmeticError
    else:
        value = float(cleaned)
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def format_weight(value: float) -> str:
    return f"{value:.3g}".replace("-", "−")


def resized(weights: np.ndarray, size: int) -> np.ndarray:
    """A square kernel grown with zeros or cropped to ``size``, around its centre."""
    k = weights.shape[0]
    if size >= k:
        before = (size - k) // 2
        return np.pad(weights, (before, size - k - before)).astype(np.float32)
    start = (k - size) // 2
    return weights[start : start + size, start : start + size].astype(np.float32)


class KernelEditor(QWidget):
    kernel_changed = Signal()

    def __init__(self, preset: str = "edge", size: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.weights = cv.kernel(preset, size)
        self._preset = preset
        self._build()
        self._show_weights()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.preset_box = QComboBox()
        for name, (shown, text) in PRESETS.items():
            self.preset_box.addItem(shown, name)
            self.preset_box.setItemData(
                self.preset_box.count() - 1, text, Qt.ItemDataRole.ToolTipRole
            )
        self.preset_box.addItem("custom (edited)", CUSTOM)
        self.preset_box.setToolTip("A named kernel; edit any number to make your own.")
        self.size_box = QComboBox()
        self.size_box.addItem("3×3", 3)
        self.size_box.addItem("5×5", 5)
        self.size_box.setToolTip(
            "The kernel size k. Emboss comes in 3×3 only; a custom kernel "
            "is padded with zeros or cropped around its centre."
        )
        row.addWidget(QLabel("Kernel"))
        row.addWidget(self.preset_box, 1)
        row.addWidget(self.size_box)
        layout.addLayout(row)
        self.table = QTableWidget()
        self.table.horizontalHeader().setVisible(False)
        self.table.verticalHeader().setVisible(False)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setDefaultSectionSize(CELL[0])
        self.table.verticalHeader().setDefaultSectionSize(CELL[1])
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        triggers = QAbstractItemView.EditTrigger  # type over a cell, or double-click it
        self.table.setEditTriggers(
            triggers.AnyKeyPressed
            | triggers.DoubleClicked
            | triggers.SelectedClicked
            | triggers.EditKeyPressed
        )
        self.table.setToolTip(
            "Type a number or a fraction (1/16). Blue cells are negative, red "
            "positive; the output at each pixel is the sum of the window "
            "times these weights."
        )
        layout.addWidget(self.table, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sum_label = QLabel()
        self.sum_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.sum_label)
        self.description = QLabel()
        self.description.setWordWrap(True)
        layout.addWidget(self.description)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #d9534f;")
        self.message.setVisible(False)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.preset_box.currentIndexChanged.connect(self._on_preset_changed)
        self.size_box.currentIndexChanged.connect(self._on_size_changed)
        self.table.itemChanged.connect(self._on_cell_edited)

    # ---- state ---------------------------------------------------------------------------------
    def preset(self) -> str:
        """The core name of the preset ("edge", "sobel_x", ...) or "custom"."""
        return self._preset

    def preset_text(self) -> str:
        """The preset as a person reads it, with the size: "edge (outline) 3×3"."""
        k = self.size()
        name = PRESETS[self._preset][0] if self._preset in PRESETS else CUSTOM
        return f"{name} {k}×{k}"

    def size(self) -> int:
        return int(self.weights.shape[0])

    def set_preset(self, name: str, size: int | None = None) -> None:
        """Show the core's kernel ``name`` (at ``size``, or the current size if it has it)."""
        sizes = cv.kernel_sizes(name)
        size = size if size is not None else (self.size() if self.size() in sizes else sizes[0])
        self._preset = name
        self.weights = cv.kernel(name, size)
        self._show_weights()
        self.kernel_changed.emit()

    def set_cell(self, row: int, col: int, text: str) -> None:
        """Type ``text`` into a cell, as a person would (the preset becomes custom)."""
        self.table.item(row, col).setText(text)  # -> _on_cell_edited

    # ---- events --------------------------------------------------------------------------------
    def _on_preset_changed(self, _index: int) -> None:
        name = self.preset_box.currentData()
        if name == CUSTOM:  # choosing "custom" keeps the numbers as they are
            self._preset = CUSTOM
            self._show_weights()
            return
        self.set_preset(name)

    def _on_size_changed(self, _index: int) -> None:
        size = self.size_box.currentData()
        if size == self.size():
            return
        if self._preset != CUSTOM and size in cv.kernel_sizes(self._preset):
            self.set_preset(self._preset, size)
            return
        self._preset = CUSTOM  # emboss 5x5 does not exist; a custom kernel keeps its centre
        self.weights = resized(self.weights, size)
        self._show_weights()
        self.kernel_changed.emit()

    def _on_cell_edited(self, item: QTableWidgetItem) -> None:
        row, col = item.row(), item.column()
        try:
            value = parse_weight(item.text())
        except (ValueError, ArithmeticError):
            self._show_message(
                f"Cell (row {row + 1}, column {col + 1}) = {item.text()!r} is not "
                "a number: type one such as -1, 0.25 or 1/16."
            )
            self._show_weights()  # put the old number back
            return
        self._show_message("")
        if np.float32(value) == self.weights[row, col]:  # the same number: nothing changes
            self._show_weights()
            return
        self.weights = self.weights.copy()
        self.weights[row, col] = value
        self._preset = CUSTOM
        self._show_weights()
        self.kernel_changed.emit()

    # ---- drawing -------------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_weights(self) -> None:
        """Cells, tints, the size and preset boxes, the sum and the description, from state."""
        k, w = self.size(), self.weights
        widgets = (self.table, self.preset_box, self.size_box)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.preset_box.setCurrentIndex(self.preset_box.findData(self._preset))
            self.size_box.setCurrentIndex(self.size_box.findData(k))
            if self.table.rowCount() != k:  # new items only for a new size: an edit's
                self.table.setRowCount(k)  # handler must not delete the item being edited
                self.table.setColumnCount(k)
                for r in range(k):
                    for c in range(k):
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.table.setItem(r, c, item)
            peak = float(np.abs(w).max()) or 1.0
            tints = diverging_rgb(w / peak)
            for r in range(k):
                for c in range(k):
                    item = self.table.item(r, c)
                    item.setText(format_weight(float(w[r, c])))
                    red, green, blue = (int(v) for v in tints[r, c])
                    item.setBackground(QBrush(QColor(red, green, blue)))
                    dark = 0.299 * red + 0.587 * green + 0.114 * blue < 110
                    item.setForeground(QBrush(QColor("white" if dark else "black")))
            self.table.setFixedSize(
                k * CELL[0] + 2 * self.table.frameWidth(), k * CELL[1] + 2 * self.table.frameWidth()
            )
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        total = float(w.sum(dtype=np.float64))
        effect = (
            "flat areas become 0"
            if abs(total) < 1e-6
            else "flat areas keep their value"
            if abs(total - 1) < 1e-6
            else f"flat areas are multiplied by {total:.3g}"
        )
        self.sum_label.setText(f"sum of the weights = {format_weight(total)}: {effect}")
        self.description.setText(
            PRESETS[self._preset][1] if self._preset in PRESETS else CUSTOM_TEXT
        )
