"""The shelf of pinned latent vectors, and a picker that chooses some of them in order.

A pinned vector has a stable id (its names can be edited) and keeps the recipe it came from
(``{"seed": 42}``, ``{"tile": 12}``...), so whatever is saved from it can say how z was made.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.gui.widgets.compact import shrinkable
from dcgan_studio.gui.widgets.image_view import pixmap

THUMB = 56
ID_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class Pinned:
    z: np.ndarray  # (nz,) float32
    recipe: dict[str, Any] = field(default_factory=dict)


class Shelf(QWidget):
    changed = Signal()  # a vector was pinned, removed or renamed
    chosen = Signal(int)  # the id of the vector the person clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pinned: dict[int, Pinned] = {}
        self._ids = itertools.count(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        header = QHBoxLayout()
        title = QLabel("<b>Shelf</b> of pinned vectors")
        title.setToolTip(
            "Click a vector to make it the current one; double-click its name to rename it."
        )
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected vector off the shelf.")
        self.remove_button.clicked.connect(self.remove_selected)
        header.addWidget(title, 1)
        header.addWidget(self.remove_button)
        layout.addLayout(header)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 28, THUMB + 22))
        self.list.setFixedHeight(THUMB + 34)
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setToolTip(
            "Pinned latent vectors. Click one to make it the current vector; "
            "use them for interpolation and arithmetic, or save them as a grid."
        )
        self.list.itemClicked.connect(lambda item: self.chosen.emit(item.data(ID_ROLE)))
        self.list.itemChanged.connect(lambda _item: self.changed.emit())
        layout.addWidget(self.list)
        self.changed.connect(lambda: self.remove_button.setEnabled(self.list.count() > 0))
        self.remove_button.setEnabled(False)

    def add(self, name: str, z: np.ndarray, recipe: dict[str, Any]) -> int:
        uid = next(self._ids)
        self.pinned[uid] = Pinned(np.array(z, np.float32, copy=True), dict(recipe))
        item = QListWidgetItem(self._unique(name))
        item.setData(ID_ROLE, uid)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.list.addItem(item)
        self.changed.emit()
        return uid

    def default_name(self) -> str:
        numbers = itertools.count(1)
        names = set(self.names())
        return next(f"v{n}" for n in numbers if f"v{n}" not in names)

    def _unique(self, name: str) -> str:
        names, candidate, n = set(self.names()), name, 2
        while candidate in names:
            candidate, n = f"{name} ({n})", n + 1
        return candidate

    def ids(self) -> list[int]:
        return [self.list.item(row).data(ID_ROLE) for row in range(self.list.count())]

    def names(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def _item(self, uid: int) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == uid:
                return self.list.item(row)
        return None

    def name(self, uid: int) -> str:
        item = self._item(uid)
        return item.text() if item is not None else "?"

    def vector(self, uid: int) -> np.ndarray:
        return self.pinned[uid].z

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.pinned.pop(item.data(ID_ROLE), None)
            self.list.takeItem(self.list.row(item))
        self.changed.emit()

    def clear(self) -> None:
        self.pinned.clear()
        self.list.clear()
        self.changed.emit()

    def set_thumbnail(self, uid: int, image: np.ndarray) -> None:
        item = self._item(uid)
        if item is not None:
            self.list.blockSignals(True)
            item.setIcon(QIcon(pixmap(image, THUMB)))
            self.list.blockSignals(False)


class VectorPicker(QWidget):
    """Pinned vectors chosen in order: a combo of the shelf, Add, Clear, and the list so far."""

    changed = Signal()

    def __init__(
        self,
        shelf: Shelf,
        label: str,
        tooltip: str,
        joiner: str = " → ",
        one_line: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.shelf, self.joiner = shelf, joiner
        self.chosen: list[int] = []
        self.tooltip = tooltip
        layout = QVBoxLayout(self)  # the choice on a line of its own: a narrow dock fits it
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        self.caption = QLabel(label)
        self.combo = QComboBox()
        self.combo.setMinimumWidth(90)
        self.combo.currentIndexChanged.connect(lambda _: self._sync_add())
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        self.summary = QLabel("—")
        self.summary.setWordWrap(True)
        for widget in (self.caption, self.combo, self.add_button, self.clear_button):
            widget.setToolTip(tooltip)
        for button in (self.add_button, self.clear_button):
            shrinkable(button)
        row.addWidget(self.caption)
        row.addWidget(self.combo, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.clear_button)
        layout.addLayout(row)
        if one_line:  # the choice so far beside the buttons (a short one: a slot's few names)
            row.addWidget(self.summary, 1)
        else:
            layout.addWidget(self.summary)
        shelf.changed.connect(self.refresh)
        self.refresh()

    def add(self, uid: int) -> bool:
        """Add ``uid`` after the others; False (and nothing added) when it is the last one
        already: the same vector twice in a row adds nothing to a path or a mean but a frame."""
        if self.chosen and self.chosen[-1] == uid:
            return False
        self.chosen.append(uid)
        self.refresh()
        self._next_choice()
        self.changed.emit()
        return True

    def _next_choice(self) -> None:
        """The combo moves on to the next pinned vector, ready for the next Add."""
        if self.combo.count() > 1 and self.combo.currentData() == self.chosen[-1]:
            self.combo.setCurrentIndex((self.combo.currentIndex() + 1) % self.combo.count())

    def _sync_add(self) -> None:
        repeat = bool(self.chosen) and self.combo.currentData() == self.chosen[-1]
        self.add_button.setEnabled(self.combo.count() > 0 and not repeat)
        self.add_button.setToolTip(
            f"{self.combo.currentText()} is the last one already: choose another to add."
            if repeat
            else self.tooltip
        )

    def clear(self) -> None:
        self.chosen = []
        self.refresh()
        self.changed.emit()

    def vectors(self) -> list[np.ndarray]:
        return [self.shelf.vector(uid) for uid in self.chosen]

    def names(self) -> list[str]:
        return [self.shelf.name(uid) for uid in self.chosen]

    def refresh(self) -> None:
        """Follow the shelf: its names in the combo; removed vectors leave the choice."""
        before = len(self.chosen)
        self.chosen = [uid for uid in self.chosen if uid in self.shelf.pinned]
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for uid, name in zip(self.shelf.ids(), self.shelf.names()):
            self.combo.addItem(name, uid)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(index if index >= 0 else self.combo.count() - 1)
        self.combo.blockSignals(False)
        self._sync_add()
        self.summary.setText(self.joiner.join(self.names()) or "—")
        if len(self.chosen) != before:
            self.changed.emit()

    def _on_add_clicked(self) -> None:
        if self.combo.currentData() is not None:
            self.add(self.combo.currentData())
