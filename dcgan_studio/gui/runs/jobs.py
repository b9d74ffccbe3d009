"""What the Runs workspace does off the GUI thread, on its ``dcgan-library`` worker: listing
the runs (with a thumbnail of each one's newest grid), reading the runs to compare and their
grids, naming a run and deleting one (to the system's trash where there is one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QFile, QObject

from dcgan_studio.config import RunConfig
from dcgan_studio.core.branching import parent_settings
from dcgan_studio.core.library import RunSummary, delete_run, scan, summarise
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.gui.runs.model import RunSeries, series_from_records
from dcgan_studio.gui.workers import Worker

THUMBNAIL_PX = 48


def thumbnail(path: Path | None, size: int = THUMBNAIL_PX) -> np.ndarray | None:
    """The top-left 4x4 tiles of a saved grid, ``size`` px square (a whole 8x8 grid of 32 px
    digits shrunk to 48 px shows nothing), as uint8 (H, W, 3); None when it cannot be read."""
    if path is None:
        return None
    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            w, h = im.size
            corner = im.crop((0, 0, (w + 1) // 2, (h + 1) // 2))
            corner.thumbnail((size, size), Image.Resampling.LANCZOS)
            return np.asarray(corner)
    except Exception:  # missing or damaged: Pillow raises many kinds; the row shows none
        return None


def read_series(summary: RunSummary) -> RunSeries:
    run = RunDirectory(summary.path)
    return series_from_records(summary, run.read_metrics(), run.read_quality(), run.sample_steps())


def read_image(path: Path) -> np.ndarray | None:
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except Exception:
        return None


def move_to_trash(path: Path) -> bool:
    """The desktop's trash (freedesktop on Linux, the Recycle Bin, the macOS Trash); False
    where there is none for this folder."""
    return QFile(str(path)).moveToTrash()


class LibraryJobs(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = Worker("dcgan-library", self)

    def scan(
        self,
        folders: list[Path],
        on_done: Callable[[tuple[list[RunSummary], dict[Path, np.ndarray]]], None],
    ) -> None:
        """Every run in ``folders`` and a thumbnail of each; the newest request wins."""

        def work():
            summaries = scan(folders)
            thumbs = {s.path: thumbnail(s.thumbnail) for s in summaries}
            return summaries, {p: t for p, t in thumbs.items() if t is not None}

        self.worker.submit(work, on_done, key="scan")

    def summarise(self, path: Path, on_done: Callable[[RunSummary], None]) -> None:
        """One run summed up (Branch from Here asks for the opened run's)."""
        self.worker.submit(lambda: summarise(path), on_done, key="summarise")

    def read_branch_settings(
        self,
        summary: RunSummary,
        on_done: Callable[[dict[int, RunConfig]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """The parent's settings at each of its checkpoints, for the Branch dialog."""

        def work():
            run = RunDirectory(summary.path)
            return {s: parent_settings(run, s) for s in run.checkpoint_steps()}

        self.worker.submit(work, on_done, key="branch", on_error=on_error)

    def read_runs(
        self, summaries: list[RunSummary], on_done: Callable[[list[RunSeries]], None]
    ) -> None:
        """The runs to compare, read again (they may have trained on since they were listed)."""

        def work():
            return [read_series(summarise(s.path)) for s in summaries if s.path.is_dir()]

        self.worker.submit(work, on_done, key="compare")

    def read_grid(self, key: str, path: Path, on_done: Callable[[np.ndarray | None], None]) -> None:
        self.worker.submit(lambda: read_image(path), on_done, key=f"grid:{key}")

    def rename(
        self, path: Path, label: str, on_done: Callable[[object], None], on_error: Callable
    ) -> None:
        self.worker.submit(
            lambda: RunDirectory(path).write_label(label), on_done, on_error=on_error
        )

    def delete(
        self, summary: RunSummary, on_done: Callable[[str], None], on_error: Callable
    ) -> None:
        """ "trash" or "deleted" to ``on_done``; a live run is refused (``on_error``)."""
        self.worker.submit(
            lambda: delete_run(summary, trash=move_to_trash), on_done, on_error=on_error
        )

    def shutdown(self, timeout: float = 10.0) -> None:
        self.worker.shutdown(timeout)
