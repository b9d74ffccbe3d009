"""The Data view: choose what D sees as real, and preview it as training will see it.

Loading (a folder scan, CelebA, or a torchvision file) runs on a Python thread
(``run_in_background``). The loader's ``progress(done, total)`` runs on that thread, so it only
stores the latest numbers under a lock; a QTimer on the GUI thread copies them into the progress
bar. Every preview request has a generation number: a result, a progress report or an error from
an older request is dropped, so the panel always shows the outcome of the latest request.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
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

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import (
    FOLDER_PREFIX,
    DatasetSummary,
    ImageDataset,
    data_root,
    default_data_root,
    describe_datasets,
    is_folder_dataset,
    load_dataset,
    skipped_line,
)
from dcgan_studio.core.data.folder import NoImagesError, ScanCancelled
from dcgan_studio.core.data.torchvision_sets import download_dataset
from dcgan_studio.core.grid import make_grid
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.background import run_in_background
from dcgan_studio.gui.widgets.compact import narrow_combo
from dcgan_studio.gui.wording import in_window_words

log = logging.getLogger(__name__)

GRID_TILES = 64
PADDING = 2
PLACEHOLDER = "Choose a dataset and press Preview to see what D will see as real."
LOCAL_DATASETS = ("digits", "shapes")  # need no data root
DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10", "svhn")
ERROR_STYLE = "color: #e05050;"
NOTE_STYLE = "color: palette(mid);"


def skipped_total(skipped: dict) -> str:
    """``3 files skipped: 1 truncated, 2 not an image``; "" when nothing was skipped."""
    count = sum(len(paths) for paths in skipped.values())
    if not count:
        return ""
    parts = ", ".join(f"{len(paths)} {reason}" for reason, paths in skipped.items())
    return f"{count} file{'s' * (count != 1)} skipped: {parts}"


def preview_mosaic(images: np.ndarray) -> np.ndarray:
    """uint8 (N, C, S, S) -> an RGB mosaic uint8 (H, W, 3)."""
    grid = make_grid(
        np.ascontiguousarray(images.transpose(0, 2, 3, 1)), padding=PADDING, pad_value=30
    )
    return np.repeat(grid, 3, axis=2) if grid.shape[2] == 1 else grid


def _load(
    cfg: RunConfig, progress, cancel, download: bool = False
) -> tuple[ImageDataset, DatasetSummary, np.ndarray]:
    """On the worker thread: the dataset (fetched first if asked), its summary and its preview
    mosaic."""
    if download:
        download_dataset(cfg.data.dataset, data_root(cfg), progress)  # skips files already there
    dataset = load_dataset(cfg, progress, cancel)
    return dataset, dataset.summary(), preview_mosaic(dataset.preview(GRID_TILES, seed=0))


class DatasetPanel(QWidget):
    dataset_chosen = Signal(str, object)  # dataset name, data root (str) or None
    message = Signal(str)  # a failure or a cancel, for the status bar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loaded: ImageDataset | None = None  # the last dataset previewed successfully
        self.loaded_for: RunConfig | None = None  # ... and the config it was loaded for
        self.summary: DatasetSummary | None = None
        self.grid_image: np.ndarray | None = None  # the mosaic on screen, uint8 (H, W, 3)
        self.tile_count = 0
        self.data_root: str | None = None
        self.config_provider: Callable[[], RunConfig] | None = None  # the lead's controls
        self._last_config: RunConfig | None = None
        self._generation = 0
        self._cancel_event: threading.Event | None = None
        self._progress_lock = threading.Lock()
        self._progress: tuple[int, int, int] | None = None  # generation, done, total
        self._loading_name = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        self.combo = narrow_combo(10)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for name, text in describe_datasets().items():
            self.combo.addItem(name, name)
            self.combo.setItemData(self.combo.count() - 1, text, Qt.ItemDataRole.ToolTipRole)
        self.combo.activated.connect(self._on_combo_activated)
        self.combo.setToolTip("What D sees as real. Hover over an entry for what it is.")
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip(
            "Train on a folder of your own images (jpg, png, webp, "
            "bmp, gif, tif): flat, or one sub-folder per class."
        )
        self.folder_button.clicked.connect(self._on_folder_clicked)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Dataset"))
        chooser.addWidget(self.combo, 1)
        chooser.addWidget(self.folder_button)
        layout.addLayout(chooser)

        self.root_button = QPushButton("Data root…")
        self.root_button.setToolTip(
            "The folder that holds MNIST, Fashion-MNIST, CIFAR-10, SVHN "
            "and CelebA in torchvision's layout (e.g. ROOT/MNIST/raw/)."
        )
        self.root_button.clicked.connect(self._on_root_clicked)
        self.root_label = QLabel()
        self.root_label.setWordWrap(True)
        self.root_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        root_row = QHBoxLayout()
        root_row.addWidget(self.root_button)
        root_row.addWidget(self.root_label, 1)
        layout.addLayout(root_row)

        self.preview_button = QPushButton("Preview")
        self.preview_button.setToolTip(
            "Load the dataset at the run's image size and channels and show a grid of real images."
        )
        self.preview_button.clicked.connect(self._on_preview_clicked)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v / %m files")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop loading; nothing is kept.")
        self.cancel_button.clicked.connect(self.cancel)
        self.download_box = QCheckBox("Download if missing")
        self.download_box.setToolTip(
            "Fetch MNIST, Fashion-MNIST, CIFAR-10 or SVHN into the data "
            "root before loading (needs the internet; files already "
            "there are kept). CelebA has to be fetched by hand."
        )
        layout.addWidget(self.download_box)
        actions = QHBoxLayout()
        actions.addWidget(self.preview_button)
        actions.addWidget(self.progress, 1)
        actions.addWidget(self.cancel_button)
        layout.addLayout(actions)

        self.status = QLabel(PLACEHOLDER)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(None)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.setMinimumHeight(160)
        self.box = self.graphics.ci.addViewBox(lockAspect=True, invertY=True, enableMouse=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLevels((0, 255))
        self.box.addItem(self.image)
        self.graphics.setToolTip(
            "Real images as training will see them: at the run's image size and channels."
        )
        layout.addWidget(self.graphics, 3)

        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)
        self.skipped_label = QLabel()
        self.skipped_label.setWordWrap(True)
        layout.addWidget(self.skipped_label)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.report.setMaximumHeight(110)
        self.report.setToolTip("The files that were skipped, by reason (a few names each).")
        layout.addWidget(self.report, 1)
        layout.addStretch(0)  # takes the spare height while there is no grid (stretch 0 elsewhere)

        self.poll = QTimer(self)
        self.poll.setInterval(50)
        self.poll.timeout.connect(self._show_progress)
        self._set_busy(False)
        self._clear_result()
        self._update_root()

    # ---- choosing ---------------------------------------------------------------------------
    @property
    def dataset(self) -> str:
        return self.combo.currentData() or "digits"

    def set_dataset(self, name: str, data_root: str | None) -> None:
        """Show a choice made elsewhere (an opened run, the training controls); emits nothing."""
        self.data_root = data_root or None
        self._select(name)
        self._update_root()

    def choose_folder(self, path: str | os.PathLike) -> None:
        """A folder was picked: it becomes the dataset ``folder:ABSOLUTE_PATH``."""
        name = FOLDER_PREFIX + str(Path(path).expanduser().absolute())
        self._select(name)
        self._update_root()
        self.dataset_chosen.emit(name, self.data_root)

    def choose_data_root(self, path: str | os.PathLike | None) -> None:
        """The folder torchvision datasets are read from (None: the default)."""
        self.data_root = str(Path(path).expanduser().absolute()) if path else None
        self._update_root()
        self.dataset_chosen.emit(self.dataset, self.data_root)

    def _select(self, name: str) -> None:
        index = self.combo.findData(name)
        if index < 0:
            shown = (
                f"folder: {Path(name[len(FOLDER_PREFIX) :]).name or name}"
                if is_folder_dataset(name)
                else name
            )
            self.combo.addItem(shown, name)
            index = self.combo.count() - 1
            self.combo.setItemData(
                index,
                name[len(FOLDER_PREFIX) :] if is_folder_dataset(name) else name,
                Qt.ItemDataRole.ToolTipRole,
            )
        self.combo.setCurrentIndex(index)

    def _on_combo_activated(self, _index: int) -> None:
        self._update_root()
        self.dataset_chosen.emit(self.dataset, self.data_root)

    def _on_folder_clicked(self) -> None:
        current = self.dataset[len(FOLDER_PREFIX) :] if is_folder_dataset(self.dataset) else ""
        path = QFileDialog.getExistingDirectory(self, "Folder of images", current)
        if path:
            self.choose_folder(path)

    def _on_root_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Data root (torchvision layout)", self.data_root or ""
        )
        if path:
            self.choose_data_root(path)

    def _update_root(self) -> None:
        needs_root = not is_folder_dataset(self.dataset) and self.dataset not in LOCAL_DATASETS
        self.root_button.setEnabled(needs_root)
        self.download_box.setEnabled(self.dataset in DOWNLOADABLE)
        if self.dataset not in DOWNLOADABLE:
            self.download_box.setChecked(False)
        root = self.data_root or f"{default_data_root()} (default)"
        if is_folder_dataset(self.dataset):
            text = f"Folder: {self.dataset[len(FOLDER_PREFIX) :]}"
        elif needs_root:
            text = f"Data root: {root}"
        else:
            text = f"{self.dataset} is built in: no data root needed"
        self.root_label.setText(text)
        self.root_label.setStyleSheet("" if needs_root else NOTE_STYLE)
        self.root_label.setToolTip(text)
        self.combo.setToolTip(
            self.combo.itemData(self.combo.currentIndex(), Qt.ItemDataRole.ToolTipRole) or ""
        )

    # ---- previewing -------------------------------------------------------------------------
    def _on_preview_clicked(self) -> None:
        base = (
            self.config_provider() if self.config_provider else (self._last_config or RunConfig())
        )
        try:
            cfg = base.with_values(
                {"data.dataset": self.dataset, "data.data_root": self.data_root}
            ).validate()
        except StudioError as exc:
            self._show_error(in_window_words(str(exc)))
            return
        self.preview(cfg)

    def preview(self, cfg: RunConfig) -> None:
        """Load ``cfg``'s dataset off the GUI thread and show it; a newer call wins."""
        self.cancel_pending()
        self._generation += 1
        generation = self._generation
        cancel_event = self._cancel_event = threading.Event()
        self._last_config = cfg
        self._loading_name = cfg.data.dataset
        with self._progress_lock:
            self._progress = None
        self._clear_result()
        self._set_status(f"Loading {self._describe(cfg)}…")
        self._set_busy(True)

        def progress(done: int, total: int) -> None:  # worker thread: store, never touch Qt
            with self._progress_lock:
                self._progress = (generation, done, total)

        download = self.download_box.isChecked() and cfg.data.dataset in DOWNLOADABLE
        self.progress.setFormat("%p%" if download else "%v / %m files")
        run_in_background(
            self,
            lambda: _load(cfg, progress, cancel_event.is_set, download),
            lambda result, error: self._on_loaded(generation, cfg, result, error),
        )

    def cancel(self) -> None:
        """Stop the preview under way (the Cancel button); the panel says it was cancelled."""
        if self._cancel_event is None:
            return
        self.cancel_pending()
        self._generation += 1  # whatever still arrives is stale
        self._set_busy(False)
        text = (
            f"Preview of {self._loading_name} cancelled: nothing was loaded. Press Preview "
            "to start again."
        )
        self._set_status(text)
        self.message.emit(text)

    def cancel_pending(self) -> None:
        """Ask the loader under way, if any, to stop (it checks between files)."""
        if self._cancel_event is not None:
            self._cancel_event.set()
            self._cancel_event = None

    @property
    def busy(self) -> bool:
        return self._cancel_event is not None

    def _on_loaded(self, generation: int, cfg: RunConfig, result, error) -> None:
        if generation != self._generation:
            return  # a newer preview (or a cancel) came since
        self._cancel_event = None
        self._set_busy(False)
        if error is None:
            dataset, summary, mosaic = result
            self.loaded, self.loaded_for, self.summary = dataset, cfg, summary
            self._show_summary(summary, mosaic)
            return
        if isinstance(error, ScanCancelled):
            self._set_status(f"Preview cancelled: {error}")
            self.message.emit(str(error))
            return
        if isinstance(error, StudioError):
            text = in_window_words(str(error))
        else:  # a bug: the person gets one line, the log gets the traceback
            log.error("previewing %s failed", cfg.data.dataset, exc_info=error)
            text = (
                f"previewing {cfg.data.dataset} failed unexpectedly "
                f"({type(error).__name__}: {error}): the details are in the log file"
            )
        self._show_error(text)
        if isinstance(error, NoImagesError):
            scan = error.scan
            skipped = {reason: tuple(map(str, paths)) for reason, paths in scan.skipped.items()}
            self.info.setText(f"Folder: {scan.root}\nFiles seen: {scan.files_seen}, used: 0")
            self._show_skipped(skipped)

    # ---- showing ----------------------------------------------------------------------------
    def _show_summary(self, summary: DatasetSummary, mosaic: np.ndarray) -> None:
        self.tile_count = min(GRID_TILES, summary.count)
        self.grid_image = mosaic
        self.image.setImage(mosaic, autoLevels=False, levels=(0, 255))
        self.box.autoRange(padding=0)
        self.graphics.setVisible(True)
        self._fit_grid()
        shown = (
            f"{self.tile_count} of {summary.count:,}"
            if summary.count > self.tile_count
            else f"all {summary.count:,}"
        )
        self._set_status(
            f"{summary.description}. Showing {shown} images, as training will see them."
        )
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
            more = (
                f", … ({len(summary.class_names)} in all)" if len(summary.class_names) > 12 else ""
            )
            lines.append(f"Classes: {names}{more}")
        if summary.files_seen is not None:
            lines.append(f"Files seen: {summary.files_seen:,}")
        lines.append(f"Memory: {summary.storage}")
        self.info.setText("\n".join(lines))
        self._show_skipped(summary.skipped)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_grid(self) -> None:
        """No taller than the mosaic needs at this width: the info sits right under the grid."""
        if self.grid_image is not None:
            height, width = self.grid_image.shape[:2]
            self.graphics.setMaximumHeight(max(160, round(self.width() * height / width) + 4))

    def _show_skipped(self, skipped) -> None:
        total = skipped_total(skipped)
        self.skipped_label.setText(total)
        self.skipped_label.setVisible(bool(total))
        self.report.setPlainText(
            "\n".join(skipped_line(reason, paths, examples=10) for reason, paths in skipped.items())
        )
        self.report.setVisible(bool(total))

    def _show_error(self, text: str) -> None:
        self._set_status(text, error=True)
        self.message.emit(text)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(ERROR_STYLE if error else "")

    def _clear_result(self) -> None:
        self.grid_image, self.tile_count, self.summary = None, 0, None
        self.image.clear()
        self.graphics.setVisible(False)
        self.info.setText("")
        self._show_skipped({})

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until the loader reports numbers
            self.poll.start()
        else:
            self.poll.stop()

    def _show_progress(self) -> None:
        with self._progress_lock:
            latest = self._progress
        if latest is None or latest[0] != self._generation:
            return
        _, done, total = latest
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    @staticmethod
    def _describe(cfg: RunConfig) -> str:
        name = cfg.data.dataset
        shown = f"the folder {name[len(FOLDER_PREFIX) :]}" if is_folder_dataset(name) else name
        colour = "RGB" if cfg.model.channels == 3 else "grayscale"
        return f"{shown} at {cfg.model.image_size} x {cfg.model.image_size} {colour}"
