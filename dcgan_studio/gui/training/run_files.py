"""The File menu's work on runs and files: open a run (read off the GUI thread), save the grid
on screen with its sidecar, export the losses. Part of the main window (a mixin), kept apart so
the window's own file stays about the docks and the session."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from dcgan_studio import __version__
from dcgan_studio.config import RunConfig
from dcgan_studio.core.export import png_bytes
from dcgan_studio.core.runs import RunDirectory, durable_write_bytes, durable_write_text
from dcgan_studio.errors import ConfigError, StudioError
from dcgan_studio.gui.background import run_in_background
from dcgan_studio.gui.wording import in_window_words


class RunFileActions:
    def _on_open_run_requested(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Run", str(self.runs_root))
        if folder:
            self.open_run(Path(folder))

    def open_run(self, folder: Path) -> None:
        """Read a run folder off the GUI thread, then show it; Start continues it."""
        self.statusBar().showMessage(f"Opening {folder}…")

        def read() -> tuple[RunDirectory, RunConfig, list[dict], list[int]]:
            run = RunDirectory.open(folder)
            return run, run.read_config(), run.read_metrics(), run.sample_steps()

        run_in_background(self, read, self._on_run_read)

    def _on_run_read(self, result, error: Exception | None) -> None:
        if error is not None:
            message = (
                in_window_words(str(error))
                if isinstance(error, StudioError)
                else f"Could not open the run: {error}"
            )
            self.statusBar().showMessage(message, 10000)
            QMessageBox.warning(self, "Open Run", message)
            return
        run, config, metrics, steps = result
        self.run_dir, self.opened_config = run, config
        self._weights = None  # a live session's G is not this run's
        self.controls.set_config(config)
        self.history.clear()
        self.history.extend(metrics)
        self.loss_plot.refresh()
        self.sample_panel.set_run(run, steps)
        self.inspector.gradients.refresh()
        self.inspector.set_run(run, config)
        self.explorer.set_run(run.root, config)
        latest = run.latest_checkpoint()
        if latest is not None:
            self.explorer.open_checkpoint(latest)
        done = metrics[-1]["step"] if metrics else 0
        self.readouts.show_stopped(done, config.schedule.iterations or done)
        can_continue = run.latest_checkpoint() is not None
        self.statusBar().showMessage(
            f"Opened {run.root}: {done} iterations"
            + ("; Start continues it" if can_continue else "; it has no checkpoint"),
            10000,
        )
        if not can_continue:
            self.opened_config = None
            self.run_dir = None

    def _save_folder(self) -> Path:
        """Where a save dialog opens: the run's folder, else the runs folder, else home."""
        for folder in (self.run_dir.root if self.run_dir else None, self.runs_root):
            if folder is not None and Path(folder).is_dir():
                return Path(folder)
        return Path.home()

    def _on_save_grid_requested(self, with_opinion: bool = False) -> None:
        if self.sample_panel.grid_to_save(with_opinion) is None:
            self.statusBar().showMessage(
                "Nothing to save yet: start training first."
                if self.sample_panel.shown_grid is None
                else "A grid read back from the run has no D's opinion to show: save it "
                "as it is (File > Save Grid), or go to the live grid.",
                8000,
            )
            return
        step = self.sample_panel.shown_step or 0
        name = f"grid-step-{step:07d}" + ("-with-d-opinion" if with_opinion else "") + ".png"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Grid", str(self._save_folder() / name), "PNG images (*.png)"
        )
        if path:
            self.save_grid(Path(path), with_opinion)

    def save_grid(self, path: Path, with_opinion: bool = False) -> Path:
        """The grid on screen as a PNG, G's images alone or with D's bars under the tiles, and
        a JSON sidecar that says which (and holds D's scores where the grid has them)."""
        grid, scores = self.sample_panel.grid_to_save(with_opinion)
        step = self.sample_panel.shown_step or 0
        path = path.with_suffix(".png")
        config = self._current_config()
        sidecar = {
            "kind": "sample-grid",
            "step": step,
            "seed": config.schedule.seed if config else None,
            "d_opinion_bars": with_opinion,
            "d_probabilities": None if scores is None else [round(float(p), 4) for p in scores],
            "run_dir": str(self.run_dir.root) if self.run_dir else None,
            "config": config.to_dict() if config else None,
            "app_version": __version__,
        }
        try:
            durable_write_bytes(path, png_bytes(grid))
            durable_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
        except OSError as exc:
            QMessageBox.warning(
                self, "Save Grid", f"Could not save {path}: {exc.strerror}. Choose another folder."
            )
            raise
        self.statusBar().showMessage(
            f"Saved {path} and its sidecar {path.with_suffix('.json')}", 8000
        )
        return path

    def _on_export_csv_requested(self) -> None:
        default = str(self._save_folder() / "losses.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export Losses", default, "CSV (*.csv)")
        if path:
            try:
                self.history.save_csv(Path(path))
            except OSError as exc:
                QMessageBox.warning(
                    self,
                    "Export Losses",
                    f"Could not write {path}: {exc.strerror}. Choose another folder.",
                )
                return
            self.statusBar().showMessage(f"Wrote {len(self.history)} rows to {path}", 8000)

    def _current_config(self) -> RunConfig | None:
        if self.run_dir is not None and self.run_dir.config_path.exists():
            try:
                return self.run_dir.read_config()
            except StudioError:  # damaged since the run was opened: the settings on screen
                pass
        try:
            return self.controls.config()
        except ConfigError:
            return None
