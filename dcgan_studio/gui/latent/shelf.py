"""The shelf of pinned vectors, and a picker that chooses some of them in order: views of
``pinned.PinnedVectors`` and ``pinned.VectorChoice``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt
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

from dcgan_studio.gui.latent.pinned import PinnedVectors, VectorChoice
from dcgan_studio.gui.widgets.compact import shrinkable
from dcgan_studio.gui.widgets.image_view import pixmap

THUMB = 56
ID_ROLE = Qt.ItemDataRole.UserRole


class Shelf(QWidget):
    """The pinned vectors as thumbnails with their names; ``choose(uid)`` when one is clicked."""

    def __init__(
        self, shelf: PinnedVectors, choose: Callable[[int], None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.shelf = shelf
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
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.remove_button.setEnabled(False)
        header.addWidget(title, 1)
        header.addWidget(self.remove_button)
        layout.addLayout(header)
        self.list = _thumbnail_list()
        self.list.itemClicked.connect(lambda item: choose(item.data(ID_ROLE)))
        self.list.itemChanged.connect(self._on_item_renamed)
        layout.addWidget(self.list)
        shelf.changed.connect(self._on_shelf_changed)
        self._on_shelf_changed()

    def set_thumbnail(self, uid: int, image: np.ndarray) -> None:
        item = self._item(uid)
        if item is not None:
            self.list.blockSignals(True)
            item.setIcon(QIcon(pixmap(image, THUMB)))
            self.list.blockSignals(False)

    def _item(self, uid: int) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == uid:
                return self.list.item(row)
        return None

    def _on_shelf_changed(self) -> None:
        """Follow the shelf: items of vectors taken off go, new ones come at the end, names
        follow; an item that stays keeps its thumbnail."""
        self.list.blockSignals(True)
        for row in reversed(range(self.list.count())):
            if self.list.item(row).data(ID_ROLE) not in self.shelf:
                self.list.takeItem(row)
        for uid, name in zip(self.shelf.ids(), self.shelf.names()):
            item = self._item(uid)
            if item is None:
                item = QListWidgetItem(name)
                item.setData(ID_ROLE, uid)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
                self.list.addItem(item)
            elif item.text() != name:
                item.setText(name)
        self.list.blockSignals(False)
        self.remove_button.setEnabled(self.list.count() > 0)

    def _on_item_renamed(self, item: QListWidgetItem) -> None:
        self.shelf.rename(item.data(ID_ROLE), item.text())

    def _on_remove_clicked(self) -> None:
        self.shelf.remove([item.data(ID_ROLE) for item in self.list.selectedItems()])


def _thumbnail_list() -> QListWidget:
    """A row of thumbnails, names editable by a double-click."""
    view = QListWidget()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setFlow(QListView.Flow.LeftToRight)
    view.setWrapping(False)
    view.setMovement(QListView.Movement.Static)
    view.setIconSize(QSize(THUMB, THUMB))
    view.setGridSize(QSize(THUMB + 28, THUMB + 22))
    view.setFixedHeight(THUMB + 34)
    view.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
    )
    view.setToolTip(
        "Pinned latent vectors. Click one to make it the current vector; "
        "use them for interpolation and arithmetic, or save them as a grid."
    )
    return view


class VectorPicker(QWidget):
    """Pinned vectors chosen in order: a combo of the shelf, Add, Clear, and the list so far."""

    def __init__(
        self,
        choice: VectorChoice,
        shelf: PinnedVectors,
        label: str,
        tooltip: str,
        joiner: str = " → ",
        one_line: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.choice, self.shelf = choice, shelf
        self.joiner, self.tooltip = joiner, tooltip
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
        self.clear_button.clicked.connect(choice.clear)
        self.summary = QLabel("—")
        self.summary.setWordWrap(True)
        for widget in (self.caption, self.combo, self.add_button, self.clear_button):
            widget.setToolTip(tooltip)
        for widget, stretch in ((self.caption, 0), (self.combo, 1)):
            row.addWidget(widget, stretch)
        for button in (self.add_button, self.clear_button):
            row.addWidget(shrinkable(button))
        layout.addLayout(row)
        if one_line:  # the choice so far beside the buttons (a short one: a slot's few names)
            row.addWidget(self.summary, 1)
        else:
            layout.addWidget(self.summary)
        shelf.changed.connect(self._on_shelf_changed)
        choice.changed.connect(self._on_choice_changed)
        choice.added.connect(self._on_choice_added)
        self._on_shelf_changed()

    def _on_shelf_changed(self) -> None:
        """The shelf's names in the combo, the current one kept where it can be."""
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for uid, name in zip(self.shelf.ids(), self.shelf.names()):
            self.combo.addItem(name, uid)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(index if index >= 0 else self.combo.count() - 1)
        self.combo.blockSignals(False)
        self._on_choice_changed()

    def _on_choice_changed(self) -> None:
        self._sync_add()
        self.summary.setText(self.joiner.join(self.choice.names()) or "—")

    def _on_choice_added(self, uid: int) -> None:
        """The combo moves on to the next pinned vector, ready for the next Add."""
        if self.combo.count() > 1 and self.combo.currentData() == uid:
            self.combo.setCurrentIndex((self.combo.currentIndex() + 1) % self.combo.count())

    def _sync_add(self) -> None:
        ids = self.choice.ids
        repeat = bool(ids) and self.combo.currentData() == ids[-1]
        self.add_button.setEnabled(self.combo.count() > 0 and not repeat)
        self.add_button.setToolTip(
            f"{self.combo.currentText()} is the last one already: choose another to add."
            if repeat
            else self.tooltip
        )

    def _on_add_clicked(self) -> None:
        if self.combo.currentData() is not None:
            self.choice.add(self.combo.currentData())
