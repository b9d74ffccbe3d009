"""The explorer's kernel editor: a preset, a size, and a grid of numbers to edit, tinted as a heat
map, showing a ``Kernel`` model.

The cells show the model's exact weights to 3 significant digits. Typing in a cell accepts a
number or a fraction ("-1", "0.25", "1/16"); the kernel becomes "custom" at once. Text that is not
a number is put back, with a message saying what to type.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
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

from dcgan_studio.gui.convolution.model import Kernel
from dcgan_studio.gui.convolution.text import (
    CUSTOM,
    KERNEL_PRESETS,
    format_weight,
    weights_sum_text,
)
from dcgan_studio.gui.widgets.colours import diverging_rgb
from dcgan_studio.gui.widgets.compact import text_label

CELL = (58, 30)  # width, height of a cell in pixels
GRID_TIP = (
    "Type a number or a fraction (1/16). Blue cells are negative, red positive; the output at "
    "each pixel is the sum of the window times these weights."
)


class KernelEditor(QWidget):
    def __init__(self, kernel: Kernel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kernel = kernel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._choices())
        self.table = self._grid()
        layout.addWidget(self.table, 0, Qt.AlignmentFlag.AlignHCenter)
        self.sum_label = QLabel()
        self.sum_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.sum_label)
        self.description = text_label()
        layout.addWidget(self.description)
        self.message = text_label()
        self.message.setStyleSheet("color: #d9534f;")
        self.message.setVisible(False)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.preset_box.currentIndexChanged.connect(self._on_preset_changed)
        self.size_box.currentIndexChanged.connect(self._on_size_changed)
        self.table.itemChanged.connect(self._on_cell_edited)
        kernel.changed.connect(self._show_kernel)
        self._show_kernel()

    def _choices(self) -> QHBoxLayout:
        self.preset_box = QComboBox()
        for name, (shown, text) in KERNEL_PRESETS.items():
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
        row = QHBoxLayout()
        row.addWidget(QLabel("Kernel"))
        row.addWidget(self.preset_box, 1)
        row.addWidget(self.size_box)
        return row

    @staticmethod
    def _grid() -> QTableWidget:
        table = QTableWidget()
        for header in (table.horizontalHeader(), table.verticalHeader()):
            header.setVisible(False)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        table.horizontalHeader().setDefaultSectionSize(CELL[0])
        table.verticalHeader().setDefaultSectionSize(CELL[1])
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        triggers = QAbstractItemView.EditTrigger  # type over a cell, or double-click it
        table.setEditTriggers(
            triggers.AnyKeyPressed
            | triggers.DoubleClicked
            | triggers.SelectedClicked
            | triggers.EditKeyPressed
        )
        table.setToolTip(GRID_TIP)
        return table

    # ---- as a person would ---------------------------------------------------------------------
    def set_preset(self, name: str, size: int | None = None) -> None:
        """Choose the core's kernel ``name`` (at ``size``, or the current size if it has it)."""
        self.kernel.set_preset(name, size)

    def set_cell(self, row: int, col: int, text: str) -> None:
        """Type ``text`` into a cell (the preset becomes custom)."""
        self.table.item(row, col).setText(text)  # -> _on_cell_edited

    # ---- the person ----------------------------------------------------------------------------
    def _on_preset_changed(self, _index: int) -> None:
        name = self.preset_box.currentData()
        if name == CUSTOM:  # choosing "custom" keeps the numbers as they are
            self.kernel.make_custom()
        else:
            self.kernel.set_preset(name)

    def _on_size_changed(self, _index: int) -> None:
        self.kernel.set_size(self.size_box.currentData())

    def _on_cell_edited(self, item: QTableWidgetItem) -> None:
        problem = self.kernel.type_cell(item.row(), item.column(), item.text())
        self.message.setText(problem)
        self.message.setVisible(bool(problem))
        self._show_kernel()  # a refused text or the same number: the cell shows the weight again

    # ---- drawing -------------------------------------------------------------------------------
    def _show_kernel(self) -> None:
        """Cells, tints, the size and preset boxes, the sum and the description, from the
        model."""
        widgets = (self.table, self.preset_box, self.size_box)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.preset_box.setCurrentIndex(self.preset_box.findData(self.kernel.preset))
            self.size_box.setCurrentIndex(self.size_box.findData(self.kernel.size))
            self._show_cells(self.kernel.weights)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.sum_label.setText(weights_sum_text(self.kernel.weights))
        self.description.setText(self.kernel.description())

    def _show_cells(self, w: np.ndarray) -> None:
        k, table = w.shape[0], self.table
        if table.rowCount() != k:  # new items only for a new size: an edit's handler must not
            table.setRowCount(k)  # delete the item being edited
            table.setColumnCount(k)
            for r in range(k):
                for c in range(k):
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    table.setItem(r, c, item)
        colours = diverging_rgb(w / (float(np.abs(w).max()) or 1.0))
        for r in range(k):
            for c in range(k):
                item = table.item(r, c)
                item.setText(format_weight(float(w[r, c])))
                red, green, blue = (int(v) for v in colours[r, c])
                item.setBackground(QBrush(QColor(red, green, blue)))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 110
                item.setForeground(QBrush(QColor("white" if dark else "black")))
        frame = 2 * table.frameWidth()
        table.setFixedSize(k * CELL[0] + frame, k * CELL[1] + frame)
