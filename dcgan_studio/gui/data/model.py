"""The dataset the person chose and the state of its preview, Qt-free.

The choice: a dataset name (``digits``, ``mnist``, ``folder:/abs/path``...), the data root that
torchvision's sets are read from (None: the default) and whether to download what is missing.
The preview: idle -> loading (with progress) -> loaded (summary and mosaic) / failed (the message)
/ cancelled. Each request has a generation number; the loader reports its progress from the
worker thread with it, under a lock, and a timer of the view reads the latest numbers.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import FOLDER_PREFIX, DatasetSummary, ImageDataset, is_folder_dataset
from dcgan_studio.gui.events import Event

if TYPE_CHECKING:  # the image-folder machinery (Pillow) is imported when a folder is scanned
    from dcgan_studio.core.data.folder import FolderScan

IDLE, LOADING, LOADED, FAILED, CANCELLED = "idle", "loading", "loaded", "failed", "cancelled"
GRID_TILES = 64  # images in a preview mosaic, at most
PLACEHOLDER = "Choose a dataset and press Preview to see what D will see as real."
LOCAL_DATASETS = ("digits", "shapes")  # need no data root
DOWNLOADABLE = ("mnist", "fashion-mnist", "cifar10", "svhn")


@dataclass(frozen=True)
class Preview:
    """A loaded dataset, its summary and its preview mosaic: uint8 RGB (H, W, 3)."""

    dataset: ImageDataset
    summary: DatasetSummary
    mosaic: np.ndarray


def describe(cfg: RunConfig) -> str:
    """``the folder /x at 32 x 32 RGB``: what a preview of ``cfg`` loads."""
    name = cfg.data.dataset
    shown = f"the folder {name[len(FOLDER_PREFIX) :]}" if is_folder_dataset(name) else name
    colour = "RGB" if cfg.model.channels == 3 else "grayscale"
    return f"{shown} at {cfg.model.image_size} x {cfg.model.image_size} {colour}"


class DatasetChoice:
    def __init__(self) -> None:
        self.name = "digits"
        self.data_root: str | None = None  # None: the default data root
        self.download = False  # fetch what is missing before loading (downloadable sets only)
        self.state = IDLE
        self.status = PLACEHOLDER  # one line about the preview, for the panel
        self.status_is_error = False
        self.generation = 0  # of the latest request; a cancel moves it on too
        self.request: RunConfig | None = None  # the config of the latest request
        self.downloading = False  # the latest request downloads first (progress in bytes)
        self.summary: DatasetSummary | None = None  # of the preview on screen
        self.mosaic: np.ndarray | None = None  # uint8 RGB (H, W, 3), the preview on screen
        self.tile_count = 0  # images in the mosaic
        self.scan: FolderScan | None = None  # a folder with no usable image: what was seen
        self.loaded: ImageDataset | None = None  # the last dataset previewed successfully
        self.loaded_for: RunConfig | None = None  # ... and the config it was loaded for
        self._progress_lock = threading.Lock()
        self._progress: tuple[int, int, int] | None = None  # generation, done, total
        self.choice_changed = Event()  # () name, data root or download changed
        self.chosen = Event()  # (name, data_root) the person chose (not set from elsewhere)
        self.state_changed = Event()  # (state) the preview changed
        self.said = Event()  # (text) a failure or a cancel, for the status bar

    # ---- the choice ---------------------------------------------------------------------------
    @property
    def is_folder(self) -> bool:
        return is_folder_dataset(self.name)

    @property
    def folder(self) -> str:
        """The path of a ``folder:PATH`` dataset; "" for the others."""
        return self.name[len(FOLDER_PREFIX) :] if self.is_folder else ""

    @property
    def needs_root(self) -> bool:
        """Read from the data root (torchvision's sets)."""
        return not self.is_folder and self.name not in LOCAL_DATASETS

    @property
    def can_download(self) -> bool:
        return self.name in DOWNLOADABLE

    def show(self, name: str, data_root: str | None) -> None:
        """A choice made elsewhere (an opened run, the training controls): not ``chosen``."""
        self.name, self.data_root = name, data_root or None
        self.download = self.download and self.can_download
        self.choice_changed.emit()

    def choose(self, name: str) -> None:
        """The person chose the dataset ``name``."""
        self.show(name, self.data_root)
        self.chosen.emit(self.name, self.data_root)

    def choose_folder(self, path: str | os.PathLike) -> None:
        """A folder was picked: it becomes the dataset ``folder:ABSOLUTE_PATH``."""
        self.choose(FOLDER_PREFIX + str(Path(path).expanduser().absolute()))

    def choose_data_root(self, path: str | os.PathLike | None) -> None:
        """The folder torchvision datasets are read from (None: the default)."""
        self.show(self.name, str(Path(path).expanduser().absolute()) if path else None)
        self.chosen.emit(self.name, self.data_root)

    def set_download(self, download: bool) -> None:
        download = download and self.can_download
        if download != self.download:
            self.download = download
            self.choice_changed.emit()

    # ---- the preview --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.state == LOADING

    @property
    def requested(self) -> str:
        """The dataset of the latest request (before any: the chosen one)."""
        return self.request.data.dataset if self.request is not None else self.name

    def begin(self, cfg: RunConfig) -> int:
        """A preview of ``cfg`` starts (replacing any under way); its generation."""
        self.generation += 1
        self.request = cfg
        self.downloading = self.download and cfg.data.dataset in DOWNLOADABLE
        with self._progress_lock:
            self._progress = None
        self.summary, self.mosaic, self.tile_count, self.scan = None, None, 0, None
        self._set(LOADING, f"Loading {describe(cfg)}…")
        return self.generation

    def report_progress(self, generation: int, done: int, total: int) -> None:
        """From the loader's thread: store the numbers only (the view's timer shows them)."""
        with self._progress_lock:
            self._progress = (generation, done, total)

    def progress(self) -> tuple[int, int] | None:
        """(done, total) of the preview under way, once its loader has said."""
        with self._progress_lock:
            latest = self._progress
        if latest is None or latest[0] != self.generation:
            return None
        return latest[1], latest[2]

    def finish(self, preview: Preview) -> None:
        """The latest request loaded."""
        summary = preview.summary
        self.loaded, self.loaded_for, self.summary = preview.dataset, self.request, summary
        self.mosaic, self.tile_count = preview.mosaic, min(GRID_TILES, summary.count)
        shown = (
            f"{self.tile_count} of {summary.count:,}"
            if summary.count > self.tile_count
            else f"all {summary.count:,}"
        )
        text = f"{summary.description}. Showing {shown} images, as training will see them."
        self._set(LOADED, text)

    def fail(self, text: str, scan: FolderScan | None = None) -> None:
        """The latest request failed: ``text`` says why and what to do; ``scan``: what a folder
        with no usable image held."""
        self.scan = scan
        self._set(FAILED, text, error=True)
        self.said.emit(text)

    def refuse(self, text: str) -> None:
        """No preview can be asked for with these settings (``text``: why): the preview on
        screen, or under way, stays."""
        self._set(self.state, text, error=True)
        self.said.emit(text)

    def stopped(self, text: str) -> None:
        """The loader stopped itself on a cancel (``text``: how far it got)."""
        self._set(CANCELLED, f"Preview cancelled: {text}")
        self.said.emit(text)

    def cancel(self) -> bool:
        """The person cancelled the preview under way (False: there was none); what still
        arrives from it is stale."""
        if self.state != LOADING:
            return False
        self.generation += 1
        text = (
            f"Preview of {self.requested} cancelled: nothing was loaded. Press Preview to start "
            "again."
        )
        self._set(CANCELLED, text)
        self.said.emit(text)
        return True

    def _set(self, state: str, status: str, error: bool = False) -> None:
        self.state, self.status, self.status_is_error = state, status, error
        self.state_changed.emit(state)
