"""The Runs workspace: the runs library above, Compare below.

The page lists the runs of the runs folder and of any folder added (kept in the settings), and
again whenever it comes into sight, every few seconds while it is in sight (runs training
elsewhere move on), and after a change. Open and Branch go to the training workspace through
the callbacks it is given; everything that reads or writes files runs on ``LibraryJobs``.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QSplitter, QVBoxLayout, QWidget

from dcgan_studio.core.library import RunSummary
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.runs.branch_dialog import BranchDialog
from dcgan_studio.gui.runs.compare_view import CompareView
from dcgan_studio.gui.runs.jobs import LibraryJobs
from dcgan_studio.gui.runs.library_view import RunsLibraryView
from dcgan_studio.gui.runs.model import MOST, CompareModel, LibraryModel

REFRESH_MS = 5000  # while in sight: a run training in another process shows its progress
FOLDERS_KEY = "library/folders"


def parents_first(summaries: list[RunSummary]) -> list[RunSummary]:
    """Oldest first, and a parent always before its branches (dates of copied folders
    mislead): a parent gets the first colour and its branches draw over it."""
    ordered = sorted(summaries, key=lambda s: s.started.timestamp() if s.started else 0.0)
    placed: list[RunSummary] = []

    def place(s: RunSummary) -> None:
        if s in placed:
            return
        parent = next((p for p in ordered if s.parent is not None and p.key == s.parent), None)
        if parent is not None:
            place(parent)
        placed.append(s)

    for s in ordered:
        place(s)
    return placed


class RunsPage(QWidget):
    def __init__(
        self,
        runs_root: Path,
        settings: QSettings,
        open_run: Callable[[Path], None],
        start_branch: Callable[[Path, int, dict, str, object], None],
        say: Callable[..., None],
        deleted: Callable[[Path], None] = lambda _path: None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("runs-page")
        self.settings, self._open_run, self._start_branch, self._say = (
            settings,
            open_run,
            start_branch,
            say,
        )
        self._deleted = deleted  # the window forgets a run it had open
        saved = settings.value(FOLDERS_KEY, [])
        saved = [saved] if isinstance(saved, str) else list(saved or [])  # one: a plain string
        extra = [Path(f) for f in saved if f]
        self.library = LibraryModel([Path(runs_root), *extra])
        self.compare = CompareModel()
        self.jobs = LibraryJobs(self)
        self.library_view = RunsLibraryView(self.library)
        self.compare_view = CompareView(self.compare)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.library_view)
        splitter.addWidget(self.compare_view)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        self.dialog: BranchDialog | None = None
        self.scans = 0  # scans answered: tests wait on it
        v = self.library_view
        v.refresh_requested.connect(self.refresh)
        v.add_folder_requested.connect(self.ask_for_folder)
        v.open_requested.connect(lambda s: self._open_run(s.path))
        v.branch_requested.connect(lambda s: self.ask_branch(s))
        v.compare_requested.connect(self.compare_runs)
        v.rename_requested.connect(self.rename)
        v.delete_requested.connect(self.ask_delete)
        self.compare_view.grid_wanted.connect(self._on_grid_wanted)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    # ---- in sight -----------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self.timer.stop()

    def refresh(self) -> None:
        self.jobs.scan(list(self.library.folders), self._on_scanned)

    def _on_scanned(self, result) -> None:
        summaries, thumbnails = result
        self.library_view.set_thumbnails(thumbnails)
        self.library.set_summaries(summaries)
        self.scans += 1

    def ask_for_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Folder of Runs", str(Path.home()))
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        if self.library.add_folder(folder):
            self.settings.setValue(FOLDERS_KEY, [str(f) for f in self.library.folders[1:]])
        self.refresh()

    # ---- compare ------------------------------------------------------------------------------
    def compare_runs(self, summaries: list[RunSummary]) -> None:
        """The runs side by side; a branch alone is compared with its parent."""
        if len(summaries) == 1 and summaries[0].parent is not None:
            parent = self.library.find(summaries[0].parent)
            if parent is None:
                self._say(f"The parent {summaries[0].parent} is not in the library.", 8000)
                return
            summaries = [parent, summaries[0]]
        summaries = parents_first(summaries)
        self._say(f"Reading {len(summaries)} runs to compare…")
        self.jobs.read_runs(summaries, self._on_runs_read)

    def _on_runs_read(self, runs) -> None:
        self.compare.set_runs(runs)
        if len(runs) > MOST:
            self._say(f"Comparing the first {MOST} of {len(runs)} runs: a colour each.", 8000)
        else:
            self._say(f"Comparing {len(runs)} runs.", 5000)

    def _on_grid_wanted(self, index: int, step: int) -> None:
        run = self.compare.runs[index]
        path = RunDirectory(run.path).sample_path(step)

        def show(image, i=index, wanted=run) -> None:  # not into another comparison's view
            if i < len(self.compare.runs) and self.compare.runs[i] is wanted:
                self.compare_view.show_grid(i, image)

        self.jobs.read_grid(str(index), path, show)

    # ---- branch, rename, delete ---------------------------------------------------------------
    def ask_branch(self, summary: RunSummary, step: int | None = None) -> None:
        """The Branch dialog on the run's checkpoint at ``step`` or the newest before it (None:
        its newest), once the parent's settings at each checkpoint are read."""
        if summary.config is None or not summary.checkpoints:
            self._say(f"{summary.title} has no checkpoint to branch from.", 8000)
            return
        self._say(f"Reading the checkpoints of {summary.title}…")
        self.jobs.read_branch_settings(
            summary,
            lambda settings: self._show_branch_dialog(summary, settings, step),
            lambda exc: self._failed("Branch", exc),
        )

    def _show_branch_dialog(self, summary: RunSummary, settings: dict, step: int | None) -> None:
        if not settings:
            self._say(f"{summary.title} has no checkpoint to branch from.", 8000)
            return
        checkpoints = sorted(settings)
        if step is not None:
            before = [c for c in checkpoints if c <= step]
            if not before:
                self._say(
                    f"{summary.title} has no checkpoint at or before iteration {step:,}: its "
                    f"first is at {checkpoints[0]:,}.",
                    8000,
                )
            step = before[-1] if before else checkpoints[0]
        self.dialog = BranchDialog(summary.path, summary.title, settings, step, self)
        self.dialog.branch_chosen.connect(self._start_branch)
        self.dialog.open()
        self._say("")

    def rename(self, summary: RunSummary, label: str) -> None:
        self.jobs.rename(
            summary.path,
            label,
            lambda _: self._renamed(summary, label),
            lambda exc: self._failed("Rename", exc),
        )

    def _renamed(self, summary: RunSummary, label: str) -> None:
        self._say(
            f"Named {summary.path.name} “{label}”" if label else f"{summary.path.name}: no name",
            5000,
        )
        self.refresh()

    def ask_delete(self, summary: RunSummary) -> None:
        if summary.live:
            self._say(f"{summary.title} is training now ({summary.live}): stop it first.", 8000)
            return
        branches = [s.title for s in self.library.summaries if s.parent == summary.key]
        keep = (
            f"<br><br>Its branches ({escape(', '.join(branches))}) stay whole: each has its "
            "own copy of the checkpoint it started from."
            if branches
            else ""
        )
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Delete Run",
            f"Move the run <b>{escape(summary.title)}</b> ({escape(str(summary.path))}) to the "
            f"trash?{keep}"
            "<br><br>Where the folder's disk has no trash, it is deleted for good.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("delete-dialog")
        delete = box.addButton("Move to Trash", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: button is delete and self.delete(summary))
        self.delete_box = box
        box.open()

    def delete(self, summary: RunSummary) -> None:
        def done(how: str) -> None:
            where = "to the trash" if how == "trash" else "for good (no trash on its disk)"
            self._say(f"Deleted {summary.title} {where}.", 8000)
            self.compare.set_runs([r for r in self.compare.runs if r.path != summary.path])
            self._deleted(summary.path)
            self.refresh()

        self.jobs.delete(summary, done, lambda exc: self._failed("Delete Run", exc))

    def _failed(self, title: str, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, StudioError) else f"{type(exc).__name__}: {exc}"
        self._say(message, 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("library-error")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.refresh()

    def shutdown(self) -> None:
        self.timer.stop()
        self.jobs.shutdown()
