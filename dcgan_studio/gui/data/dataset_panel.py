"""The Data view: choose what D sees as real, and preview it as training will see it.

A view of a ``DatasetChoice``: the person's choices go to the model, Preview and Cancel to the
callbacks it is given; it draws what the model holds whenever the model says it changed. While a
preview loads, a timer copies the loader's latest progress from the model into the progress bar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.data import (
    FOLDER_PREFIX,
    DatasetSummary,
    default_data_root,
    describe_datasets,
    is_folder_dataset,
    skipped_line,
)
from dcgan_studio.gui.data.model import DatasetChoice
from dcgan_studio.gui.widgets.compact import narrow_combo

ERROR_STYLE = "color: #e05050;"
NOTE_STYLE = "color: palette(mid);"
TOOLTIPS = {
    "combo": "What D sees as real. Hover over an entry for what it is.",
    "folder_button": "Train on a folder of your own images (jpg, png, webp, bmp, gif, tif): flat, "
    "or one sub-folder per class.",
    "root_button": "The folder that holds MNIST, Fashion-MNIST, CIFAR-10, SVHN and CelebA in "
    "torchvision's layout (e.g. ROOT/MNIST/raw/).",
    "preview_button": "Load the dataset at the run's image size and channels and show a grid of "
    "real images.",
    "cancel_button": "Stop loading; nothing is kept.",
    "download_box": "Fetch MNIST, Fashion-MNIST, CIFAR-10 or SVHN into the data root before "
    "loading (needs the internet; files already there are kept). CelebA has to be fetched by "
    "hand.",
    "graphics": "Real images as training will see them: at the run's image size and channels.",
    "report": "The files that were skipped, by reason (a few names each).",
}


def skipped_total(skipped: Mapping) -> str:
    """``3 files skipped: 1 truncated, 2 not an image``; "" when nothing was skipped."""
    count = sum(len(paths) for paths in skipped.values())
    if not count:
        return ""
    parts = ", ".join(f"{len(paths)} {reason}" for reason, paths in skipped.items())
    return f"{count} file{'s' * (count != 1)} skipped: {parts}"


def summary_lines(summary: DatasetSummary) -> list[str]:
    """What the panel says under the mosaic about a loaded dataset."""
    colour = "RGB" if summary.channels == 3 else "grayscale"
    lines = [
        f"Images: {summary.count:,}",
        f"Size: {summary.image_size} x {summary.image_size}, {colour} "
        f"({summary.channels} channel{'s' * (summary.channels != 1)})",
    ]
    if summary.source:
        lines.append(f"Source: {summary.source}")
    if summary.class_names:
        names = ", ".join(summary.class_names[:12])
        more = f", … ({len(summary.class_names)} in all)" if len(summary.class_names) > 12 else ""
        lines.append(f"Classes: {names}{more}")
    if summary.files_seen is not None:
        lines.append(f"Files seen: {summary.files_seen:,}")
    lines.append(f"Memory: {summary.storage}")
    return lines


def _selectable_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _row(*widgets: QWidget, stretch: QWidget | None = None) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget, 1 if widget is stretch else 0)
    return row


class DatasetPanel(QWidget):
    def __init__(
        self,
        model: DatasetChoice,
        preview: Callable[[], None],
        cancel: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self.combo = narrow_combo(10)
        self.folder_button = QPushButton("Folder…")
        self.root_button = QPushButton("Data root…")
        self.root_label = _selectable_label()
        self.download_box = QCheckBox("Download if missing")
        self.preview_button = QPushButton("Preview")
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.status = _selectable_label()
        self.graphics = pg.GraphicsLayoutWidget()
        self.box = self.graphics.ci.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.info = _selectable_label()
        self.skipped_label = QLabel()
        self.report = QPlainTextEdit()
        self.poll = QTimer(self)  # copies the loader's progress into the bar while it loads
        self._set_up()
        self._lay_out()
        self.preview_button.clicked.connect(preview)
        self.cancel_button.clicked.connect(cancel)
        self.combo.activated.connect(self._on_combo_activated)
        self.folder_button.clicked.connect(self._on_folder_clicked)
        self.root_button.clicked.connect(self._on_root_clicked)
        self.download_box.toggled.connect(model.set_download)
        self.poll.timeout.connect(self._on_poll_timeout)
        model.choice_changed.connect(self._on_model_choice_changed)
        model.state_changed.connect(self._on_model_state_changed)
        self._on_model_choice_changed()
        self._on_model_state_changed(model.state)

    def _set_up(self) -> None:
        for name, text in TOOLTIPS.items():
            getattr(self, name).setToolTip(text)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for name, text in describe_datasets().items():
            self._add_entry(name, name, text)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m files")
        self.graphics.setBackground(None)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.setMinimumHeight(160)
        self.image.setLevels((0, 255))
        self.box.addItem(self.image)
        self.skipped_label.setWordWrap(True)
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.report.setMaximumHeight(110)
        self.poll.setInterval(50)

    def _lay_out(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addLayout(
            _row(QLabel("Dataset"), self.combo, self.folder_button, stretch=self.combo)
        )
        layout.addLayout(_row(self.root_button, self.root_label, stretch=self.root_label))
        layout.addWidget(self.download_box)
        layout.addLayout(
            _row(self.preview_button, self.progress, self.cancel_button, stretch=self.progress)
        )
        layout.addWidget(self.status)
        layout.addWidget(self.graphics, 3)
        layout.addWidget(self.info)
        layout.addWidget(self.skipped_label)
        layout.addWidget(self.report, 1)
        layout.addStretch(0)  # takes the spare height while there is no grid (stretch 0 elsewhere)

    # ---- the person's choices -----------------------------------------------------------------
    def _on_combo_activated(self, _index: int) -> None:
        self._model.choose(self.combo.currentData() or "digits")

    def _on_folder_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of images", self._model.folder)
        if path:
            self._model.choose_folder(path)

    def _on_root_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Data root (torchvision layout)", self._model.data_root or ""
        )
        if path:
            self._model.choose_data_root(path)

    # ---- the model's changes ------------------------------------------------------------------
    def _on_model_choice_changed(self) -> None:
        model = self._model
        self._select(model.name)
        self.root_button.setEnabled(model.needs_root)
        self.download_box.setEnabled(model.can_download)
        with QSignalBlocker(self.download_box):
            self.download_box.setChecked(model.download)
        if model.is_folder:
            text = f"Folder: {model.folder}"
        elif model.needs_root:
            text = f"Data root: {model.data_root or f'{default_data_root()} (default)'}"
        else:
            text = f"{model.name} is built in: no data root needed"
        self.root_label.setText(text)
        self.root_label.setStyleSheet("" if model.needs_root else NOTE_STYLE)
        self.root_label.setToolTip(text)
        self.combo.setToolTip(
            self.combo.itemData(self.combo.currentIndex(), Qt.ItemDataRole.ToolTipRole) or ""
        )

    def _select(self, name: str) -> None:
        if self.combo.findData(name) < 0:  # a folder: its name in the list, its path as the tip
            path = name[len(FOLDER_PREFIX) :]
            if is_folder_dataset(name):
                self._add_entry(f"folder: {Path(path).name or name}", name, path)
            else:
                self._add_entry(name, name, name)
        self.combo.setCurrentIndex(self.combo.findData(name))

    def _add_entry(self, shown: str, name: str, tip: str) -> None:
        self.combo.addItem(shown, name)
        self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)

    def _on_model_state_changed(self, _state: str) -> None:
        model = self._model
        self._set_busy(model.busy)
        self._show_mosaic()  # before the text below: the grid's height settles first
        self.status.setText(model.status)
        self.status.setStyleSheet(ERROR_STYLE if model.status_is_error else "")
        if model.summary is not None:
            self.info.setText("\n".join(summary_lines(model.summary)))
            self._show_skipped(model.summary.skipped)
        elif model.scan is not None:
            scan = model.scan
            self.info.setText(f"Folder: {scan.root}\nFiles seen: {scan.files_seen}, used: 0")
            self._show_skipped({r: tuple(map(str, paths)) for r, paths in scan.skipped.items()})
        else:
            self.info.setText("")
            self._show_skipped({})

    def _show_mosaic(self) -> None:
        mosaic = self._model.mosaic
        if mosaic is None:
            self.image.clear()
            self.graphics.setVisible(False)
            return
        self.image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        self.box.autoRange(padding=0)
        self.graphics.setVisible(True)
        self._fit_grid()

    def _show_skipped(self, skipped: Mapping) -> None:
        total = skipped_total(skipped)
        self.skipped_label.setText(total)
        self.skipped_label.setVisible(bool(total))
        self.report.setPlainText(
            "\n".join(skipped_line(reason, paths, examples=10) for reason, paths in skipped.items())
        )
        self.report.setVisible(bool(total))

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if not busy:
            self.poll.stop()
            return
        self.progress.setFormat("%p%" if self._model.downloading else "%v / %m files")
        self.progress.setRange(0, 0)  # busy until the loader reports numbers
        self.poll.start()

    def _on_poll_timeout(self) -> None:
        latest = self._model.progress()
        if latest is not None and latest[1] > 0:
            self.progress.setRange(0, latest[1])
            self.progress.setValue(latest[0])

    # ---- size ---------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_grid(self) -> None:
        """No taller than the mosaic needs at this width: the info sits right under the grid."""
        mosaic = self._model.mosaic
        if mosaic is not None:
            height, width = mosaic.shape[:2]
            self.graphics.setMaximumHeight(max(160, round(self.width() * height / width) + 4))
