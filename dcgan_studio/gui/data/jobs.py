"""What the data workspace runs off the GUI thread: loading a dataset for its preview (downloading
it first when asked), one request at a time on one worker; a newer request or a cancel makes the
one under way stop at its next file or chunk, and its answers are dropped."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import Cancel, Progress, data_root, load_dataset
from dcgan_studio.core.data.torchvision_sets import download_dataset
from dcgan_studio.core.grid import make_grid
from dcgan_studio.gui.data.model import GRID_TILES, Preview
from dcgan_studio.gui.workers import Worker

PADDING, PAD_VALUE = 2, 30  # the mosaic's gaps: 2 px of dark grey
KEY = "preview"


def preview_mosaic(images: np.ndarray) -> np.ndarray:
    """uint8 (N, C, S, S) -> an RGB mosaic uint8 (H, W, 3)."""
    grid = make_grid(
        np.ascontiguousarray(images.transpose(0, 2, 3, 1)), padding=PADDING, pad_value=PAD_VALUE
    )
    return np.repeat(grid, 3, axis=2) if grid.shape[2] == 1 else grid


def load_preview(
    cfg: RunConfig, progress: Progress, cancel: Cancel, download: bool = False
) -> Preview:
    """On the worker thread: the dataset (fetched first if asked), its summary and its mosaic."""
    if download:  # files already there are kept
        download_dataset(cfg.data.dataset, data_root(cfg), progress, cancel)
    dataset = load_dataset(cfg, progress, cancel)
    return Preview(dataset, dataset.summary(), preview_mosaic(dataset.preview(GRID_TILES, seed=0)))


class DataJobs:
    """Previews on the worker ``dcgan-data``."""

    def __init__(self, parent: QObject | None = None) -> None:
        self._worker = Worker("dcgan-data", parent)
        self._cancel = threading.Event()  # the flag of the latest request's loader

    def load(
        self,
        cfg: RunConfig,
        download: bool,
        progress: Progress,
        on_loaded: Callable[[Preview], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Load ``cfg``'s dataset; the answer of the latest request only reaches the callbacks."""
        self._cancel.set()  # the one under way stops early: its answer would be dropped
        cancel = self._cancel = threading.Event()
        self._worker.submit(
            lambda: load_preview(cfg, progress, cancel.is_set, download),
            on_loaded,
            key=KEY,
            on_error=on_error,
        )

    def cancel(self) -> None:
        """Stop the request under way (at its next file or chunk) and drop its answers."""
        self._cancel.set()
        self._worker.cancel(KEY)

    @property
    def busy(self) -> bool:
        """A loader still runs (a cancelled one too, until it stops)."""
        return self._worker.busy

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Cancel, and wait up to ``timeout`` s for the loader to stop; True when it has."""
        self.cancel()
        return self._worker.shutdown(timeout)
