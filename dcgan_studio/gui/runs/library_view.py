"""The runs library as a table: a row per run with a thumbnail of its newest grid, its data,
size, progress, date, training time, last score, parent and whether it trains now; a filter
above it, and the buttons that act on the selected runs beside it."""

from __future__ import annotations

from html import escape
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.durations import duration_words
from dcgan_studio.core.library import RunSummary, config_diff
from dcgan_studio.gui.fields import setting_name
from dcgan_studio.gui.runs.jobs import THUMBNAIL_PX
from dcgan_studio.gui.runs.model import LibraryModel
from dcgan_studio.gui.widgets.compact import push_button, shrinkable, text_label
from dcgan_studio.gui.widgets.image_view import pixmap

COLUMNS = ("Run", "Data", "Size", "Iterations", "Started", "Trained", "KID", "Parent", "State")
NAME, DATA, SIZE, STEPS, STARTED, TRAINED, KID, PARENT, STATE = range(len(COLUMNS))
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # what a column sorts by (numbers as numbers)
PATH_ROLE = Qt.ItemDataRole.UserRole + 2


class _Item(QTableWidgetItem):
    """A cell that sorts by its SORT_ROLE value (a date or a number), not by its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        a, b = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if a is None or b is None:
            return (a is None) and (b is not None)
        return a < b


def diff_html(a: RunSummary, b: RunSummary) -> str:
    """The settings where two runs differ, as a small table (a row each)."""
    rows = config_diff(a.config, b.config)
    if not rows:
        return f"<b>{escape(a.title)}</b> and <b>{escape(b.title)}</b> have the same settings."
    cells = "".join(
        f"<tr><td>{escape(setting_name(name))}</td><td>{escape(str(x))}</td>"
        f"<td>{escape(str(y))}</td></tr>"
        for name, x, y in rows
    )
    return (
        f"<b>Differences</b> ({len(rows)} setting{'s' if len(rows) > 1 else ''})"
        "<table cellspacing=0 cellpadding=3>"
        f"<tr><th align=left>Setting</th><th align=left>{escape(a.title)}</th>"
        f"<th align=left>{escape(b.title)}</th></tr>{cells}</table>"
    )


class RunsLibraryView(QWidget):
    open_requested = Signal(object)  # RunSummary
    branch_requested = Signal(object)  # RunSummary
    compare_requested = Signal(list)  # [RunSummary]
    rename_requested = Signal(object, str)  # RunSummary, the new label
    delete_requested = Signal(object)  # RunSummary
    add_folder_requested = Signal()
    refresh_requested = Signal()

    def __init__(self, model: LibraryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.thumbnails: dict[Path, np.ndarray] = {}
        self._filling = False
        self._refill_after_edit = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setObjectName("runs-filter")
        self.filter.setPlaceholderText("Filter: a name, dataset, setting, 'branch' or 'live'")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(model.set_filter)
        top.addWidget(self.filter, 1)
        self.add_button = shrinkable(
            push_button(
                "Add Folder…",
                "List the runs of another folder too (a shared or synced one).",
                self.add_folder_requested.emit,
            )
        )
        self.refresh_button = shrinkable(
            push_button("Refresh", "Look at the folders again.", self.refresh_requested.emit)
        )
        top.addWidget(self.add_button)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.table = self._build_table()
        layout.addWidget(self.table, 1)
        layout.addLayout(self._build_buttons())
        self.summary_label = text_label()
        self.summary_label.setObjectName("runs-summary")
        layout.addWidget(self.summary_label)
        self.diff_label = text_label(rich=True, selectable=True)
        self.diff_label.setObjectName("runs-diff")
        self.diff_label.hide()
        layout.addWidget(self.diff_label)
        model.changed.connect(self.refill)
        self.refill()

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setObjectName("runs-table")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        table.setIconSize(QSize(THUMBNAIL_PX, THUMBNAIL_PX))
        table.verticalHeader().setDefaultSectionSize(THUMBNAIL_PX + 6)
        table.verticalHeader().hide()
        table.setMinimumHeight(3 * (THUMBNAIL_PX + 6) + 30)  # three runs in sight, at least
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        table.setSortingEnabled(True)
        table.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)
        table.itemSelectionChanged.connect(self._on_selection_changed)
        table.itemChanged.connect(self._on_item_changed)
        table.itemDelegate().closeEditor.connect(self._on_editor_closed)
        table.doubleClicked.connect(self._on_double_clicked)
        table.setToolTip(
            "Double-click a run's name to rename it (the folder keeps its name); select two or "
            "more runs to compare them."
        )
        return table

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.open_button = push_button(
            "Open", "Open the run in Train a DCGAN: Start continues it.", self._open
        )
        self.compare_button = push_button(
            "Compare",
            "Overlay the selected runs' curves and show their grids side by side (a branch "
            "alone: with its parent).",
            self._compare,
        )
        self.branch_button = push_button(
            "Branch…",
            "Start a new run from one of this run's checkpoints with some settings changed.",
            self._branch,
        )
        self.diff_button = push_button(
            "Differences",
            "The settings in which the two selected runs differ (and only those).",
            self._show_diff,
        )
        self.rename_button = push_button(
            "Rename…", "Give the run a name (its folder stays as it is).", self._rename
        )
        self.delete_button = push_button(
            "Delete…", "Move the run's folder to the trash, after asking.", self._delete
        )
        for button in (
            self.open_button,
            self.compare_button,
            self.branch_button,
            self.diff_button,
            self.rename_button,
            self.delete_button,
        ):
            row.addWidget(shrinkable(button))
        row.addStretch(1)
        return row

    # ---- filling ------------------------------------------------------------------------------
    def set_thumbnails(self, thumbnails: dict[Path, np.ndarray]) -> None:
        self.thumbnails = dict(thumbnails)

    def refill(self) -> None:
        """The table from the model's visible runs; the selection is kept by folder. Not while
        a name is being edited: that would throw the typing away (it refills once done)."""
        if self.table.state() == QAbstractItemView.State.EditingState:
            self._refill_after_edit = True
            return
        self._refill_after_edit = False
        chosen = {s.path for s in self.selected()}
        self._filling = True
        table = self.table
        table.setSortingEnabled(False)
        visible = self.model.visible()
        table.setRowCount(len(visible))
        for row, summary in enumerate(visible):
            for column, item in enumerate(self._cells(summary)):
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        table.clearSelection()
        mode = table.selectionMode()
        table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(table.rowCount()):
            if table.item(row, NAME).data(PATH_ROLE) in chosen:
                table.selectRow(row)
        table.setSelectionMode(mode)
        self._filling = False
        total, shown = len(self.model.summaries), len(visible)
        live = sum(1 for s in visible if s.live)
        self.summary_label.setText(
            "No runs yet in "
            + ", ".join(str(f) for f in self.model.folders)
            + ": train one in Train a DCGAN, or add a folder."
            if not total
            else f"{shown} of {total} runs" + (f", {live} training now" if live else "")
        )
        self._on_selection_changed()

    def _cells(self, s: RunSummary) -> list[QTableWidgetItem]:
        def cell(text: str, sort=None, tip: str = "") -> QTableWidgetItem:
            item = _Item(text)
            item.setData(SORT_ROLE, sort if sort is not None else text.lower())
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            if tip:
                item.setToolTip(tip)
            return item

        name = cell(s.title, s.title.lower(), f"{s.path}" + (f"\n{s.problem}" if s.problem else ""))
        name.setFlags(name.flags() | Qt.ItemFlag.ItemIsEditable)
        name.setData(PATH_ROLE, s.path)
        thumb = self.thumbnails.get(s.path)
        if thumb is not None:
            name.setIcon(QIcon(pixmap(thumb, THUMBNAIL_PX)))
        if s.problem:
            name.setForeground(QColor("#d9534f"))
        size = (
            f"{s.image_size} x {s.image_size}" + (" RGB" if s.config.model.channels == 3 else "")
            if s.config
            else "?"
        )
        steps = f"{s.step:,}" + (f" / {s.total:,}" if s.total else "")
        started = s.started.strftime("%Y-%m-%d %H:%M") if s.started else "?"
        kid = f"{s.kid:.3f}" if s.kid is not None else ""
        parent = ""
        parent_tip = ""
        if s.parent is not None:
            parent = f"{s.parent.name} @ {s.parent_step:,}"
            changed = ", ".join(
                f"{k.partition('.')[2]} {a} → {b}" for k, (a, b) in s.changed.items()
            )
            gone = "" if s.parent_exists else " (deleted; this branch has its own checkpoint)"
            parent_tip = f"Branch of {s.parent}{gone} at iteration {s.parent_step:,}"
            parent_tip += f"; changed: {changed}" if changed else "; no setting changed"
            parent += "" if s.parent_exists else " (deleted)"
        state = (
            "training now"
            if s.live
            else ("finished" if s.total and s.step >= s.total else "stopped")
        )
        if s.problem:
            state = "damaged"
        return [
            name,
            cell(s.dataset),
            cell(size, s.image_size or 0),
            cell(steps, s.step),
            cell(started, s.started.timestamp() if s.started else 0.0),
            cell(duration_words(s.seconds), s.seconds),
            cell(
                kid,
                s.kid if s.kid is not None else float("inf"),
                f"KID at iteration {s.kid_step:,}" if s.kid_step is not None else "not scored",
            ),
            cell(parent, parent.lower(), parent_tip),
            cell(state, state, f"trained by {s.live}" if s.live else s.problem),
        ]

    # ---- selection and actions ----------------------------------------------------------------
    def selected(self) -> list[RunSummary]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        found = []
        for row in rows:
            item = self.table.item(row, NAME)
            summary = self.model.find(item.data(PATH_ROLE)) if item is not None else None
            if summary is not None:
                found.append(summary)
        return found

    def select_paths(self, paths: list[Path]) -> None:
        wanted = {s.path for p in paths if (s := self.model.find(p)) is not None}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row in range(self.table.rowCount()):
            if self.table.item(row, NAME).data(PATH_ROLE) in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _on_selection_changed(self) -> None:
        if self._filling:
            return
        chosen = self.selected()
        self.diff_label.hide()  # it was of the runs selected before
        one = len(chosen) == 1
        usable = one and chosen[0].config is not None
        self.open_button.setEnabled(usable)
        self.branch_button.setEnabled(usable and bool(chosen[0].checkpoints))
        self.rename_button.setEnabled(one)
        self.delete_button.setEnabled(one and chosen[0].live is None)
        self.delete_button.setToolTip(
            "This run is training now: stop it first."
            if one and chosen[0].live
            else "Move the run's folder to the trash, after asking."
        )
        self.diff_button.setEnabled(len(chosen) == 2 and all(c.config is not None for c in chosen))
        can_compare = len(chosen) >= 2 or (one and chosen[0].parent is not None)
        self.compare_button.setEnabled(can_compare)

    def _one(self) -> RunSummary | None:
        chosen = self.selected()
        return chosen[0] if len(chosen) == 1 else None

    def _open(self) -> None:
        if (s := self._one()) is not None:
            self.open_requested.emit(s)

    def _on_double_clicked(self, index) -> None:
        if index.column() != NAME:
            self._open()

    def _branch(self) -> None:
        if (s := self._one()) is not None:
            self.branch_requested.emit(s)

    def _compare(self) -> None:
        chosen = self.selected()
        if chosen:
            self.compare_requested.emit(chosen)

    def _show_diff(self) -> None:
        chosen = self.selected()
        if len(chosen) != 2 or any(c.config is None for c in chosen):
            return
        a, b = chosen
        self.diff_label.setText(diff_html(a, b))
        self.diff_label.show()

    def _rename(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) == 1:
            self.table.editItem(self.table.item(rows.pop(), NAME))

    def _delete(self) -> None:
        if (s := self._one()) is not None:
            self.delete_requested.emit(s)

    def _on_editor_closed(self, *_) -> None:
        if self._refill_after_edit:
            QTimer.singleShot(0, self, self.refill)  # once the editor has let go

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        """The name cell edited: the run's new label (the folder's name when emptied)."""
        if self._filling or item.column() != NAME:
            return
        summary = self.model.find(item.data(PATH_ROLE))
        if summary is not None and item.text().strip() != summary.title:
            label = item.text().strip()
            self.rename_requested.emit(summary, "" if label == summary.name else label)
