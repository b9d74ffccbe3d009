"""The File menu's work on runs and files: open a run (read off the GUI thread), save the grid on
screen with its sidecar, export the losses, export G (off the GUI thread)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from dcgan_studio import __version__
from dcgan_studio.config import RunConfig
from dcgan_studio.core.export import png_bytes
from dcgan_studio.core.generator_export import FORMATS, SUFFIXES, suffix_format
from dcgan_studio.core.runs import RunDirectory, durable_write_bytes, durable_write_text
from dcgan_studio.errors import ConfigError, StudioError
from dcgan_studio.gui.training.controls import TrainingControls
from dcgan_studio.gui.training.jobs import RunReader
from dcgan_studio.gui.training.model import RunModel
from dcgan_studio.gui.training.sample_panel import SamplePanel
from dcgan_studio.gui.wording import in_window_words

# File > Export Generator's choices, in the order of core.generator_export.FORMATS
EXPORT_FILTERS = "ONNX (*.onnx);;TorchScript (*.pt);;safetensors (*.safetensors)"


def _format_of(path: Path, chosen_filter: str) -> str:
    """The format the file's suffix says, else the one of the filter chosen in the dialog."""
    said = suffix_format(path)
    if said is not None:
        return said
    filters = EXPORT_FILTERS.split(";;")
    return FORMATS[filters.index(chosen_filter)] if chosen_filter in filters else "onnx"


class RunFiles(QObject):
    generator_exported = Signal(str)  # the file written by File > Export Generator

    def __init__(
        self,
        model: RunModel,
        controls: TrainingControls,
        samples: SamplePanel,
        reader: RunReader,
        say: Callable[..., None],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self.model, self.controls, self.samples = model, controls, samples
        self.reader, self._say, self._parent = reader, say, dialog_parent

    # ---- opening ------------------------------------------------------------------------------
    def ask_and_open(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self._parent, "Open Run", str(self.model.runs_root)
        )
        if folder:
            self.open_run(Path(folder))

    def open_run(self, folder: Path) -> None:
        """Read a run folder off the GUI thread, then show it; Start continues it."""
        self._say(f"Opening {folder}…")
        self.reader.read(Path(folder), self._on_run_read, self._on_read_failed)

    def _on_read_failed(self, error: Exception) -> None:
        self._job_failed("Open Run", error, f"Could not open the run: {error}")

    def _job_failed(self, title: str, error: Exception, otherwise: str) -> None:
        """A job on the reader that failed: a StudioError in the window's words, anything else
        as ``otherwise``; in the status bar and a dialog titled ``title``."""
        message = in_window_words(str(error)) if isinstance(error, StudioError) else otherwise
        self._say(message, 10000)
        QMessageBox.warning(self._parent, title, message)

    def _on_run_read(self, result: tuple[RunDirectory, RunConfig, list[dict], list[int]]) -> None:
        run, config, metrics, steps = result
        self.model.open(run, config, metrics, steps)
        self.controls.set_config(config)  # the opened run's: no other model to look inside
        can_continue = self.model.settle_opened()
        self._say(
            f"Opened {run.root}: {self.model.shown_step} iterations"
            + ("; Start continues it" if can_continue else "; it has no checkpoint"),
            10000,
        )

    # ---- saving -------------------------------------------------------------------------------
    def _save_folder(self) -> Path:
        """Where a save dialog opens: the run's folder, else the runs folder, else home."""
        run_dir = self.model.run_dir
        for folder in (run_dir.root if run_dir else None, self.model.runs_root):
            if folder is not None and Path(folder).is_dir():
                return Path(folder)
        return Path.home()

    def ask_and_save_grid(self, with_opinion: bool = False) -> None:
        if self.samples.grid_to_save(with_opinion) is None:
            self._say(
                "Nothing to save yet: start training first."
                if self.samples.shown_grid is None
                else "A grid read back from the run has no D's opinion to show: save it "
                "as it is (File > Save Grid), or go to the live grid.",
                8000,
            )
            return
        step = self.samples.shown_step or 0
        name = f"grid-step-{step:07d}" + ("-with-d-opinion" if with_opinion else "") + ".png"
        path, _ = QFileDialog.getSaveFileName(
            self._parent, "Save Grid", str(self._save_folder() / name), "PNG images (*.png)"
        )
        if path:
            self.save_grid(Path(path), with_opinion)

    def save_grid(self, path: Path, with_opinion: bool = False) -> Path:
        """The grid on screen as a PNG, G's images alone or with D's bars under the tiles, and
        a JSON sidecar that says which (and holds D's scores where the grid has them)."""
        grid, scores = self.samples.grid_to_save(with_opinion)
        path = path.with_suffix(".png")
        config, run_dir = self._current_config(), self.model.run_dir
        sidecar = {
            "kind": "sample-grid",
            "step": self.samples.shown_step or 0,
            "seed": config.schedule.seed if config else None,
            "generator": "G (EMA)" if self.samples.shows_ema else "G",
            "d_opinion_bars": with_opinion,
            "d_probabilities": None if scores is None else [round(float(p), 4) for p in scores],
            "run_dir": str(run_dir.root) if run_dir else None,
            "config": config.to_dict() if config else None,
            "app_version": __version__,
        }
        try:
            durable_write_bytes(path, png_bytes(grid))
            durable_write_text(path.with_suffix(".json"), json.dumps(sidecar, indent=2) + "\n")
        except OSError as exc:
            QMessageBox.warning(
                self._parent,
                "Save Grid",
                f"Could not save {path}: {exc.strerror}. Choose another folder.",
            )
            raise
        self._say(f"Saved {path} and its sidecar {path.with_suffix('.json')}", 8000)
        return path

    def ask_and_export_csv(self) -> None:
        default = str(self._save_folder() / "losses.csv")
        path, _ = QFileDialog.getSaveFileName(self._parent, "Export Losses", default, "CSV (*.csv)")
        if not path:
            return
        history = self.model.history
        try:
            history.save_csv(Path(path))
        except OSError as exc:
            QMessageBox.warning(
                self._parent,
                "Export Losses",
                f"Could not write {path}: {exc.strerror}. Choose another folder.",
            )
            return
        self._say(f"Wrote {len(history)} rows to {path}", 8000)

    # ---- exporting G ---------------------------------------------------------------------------
    def ask_and_export_generator(self) -> None:
        run_dir = self.model.run_dir
        if run_dir is None:
            self._say(
                "Open or train a run first: File > Export Generator writes G of one of its "
                "checkpoints.",
                8000,
            )
            return
        step, ema = self.samples.shown_step, self.samples.shows_ema
        name = f"generator{'-ema' * ema}" + (f"-step-{step:07d}" if step is not None else "")
        path, chosen = QFileDialog.getSaveFileName(
            self._parent, "Export Generator", str(self._save_folder() / name), EXPORT_FILTERS
        )
        if path:
            self.export_generator(Path(path), _format_of(Path(path), chosen), step, ema)

    def export_generator(self, path: Path, fmt: str, step: int | None, ema: bool) -> None:
        """G (or G (EMA)) of the checkpoint at ``step`` or the newest before it, into ``path``
        in ``fmt``, off the GUI thread; the status bar says where, a dialog what went wrong."""
        path = path if path.suffix else path.with_suffix(SUFFIXES[fmt])
        which = "G (EMA)" if ema else "G"
        self._say(f"Exporting {which} to {path}…")

        def done(result: tuple[int, Path]) -> None:
            checkpoint_step, sidecar = result
            self._say(
                f"Exported {which} of iteration {checkpoint_step} to {path} ({fmt}), with its "
                f"sidecar {sidecar}",
                10000,
            )
            self.generator_exported.emit(str(path))

        def failed(error: Exception) -> None:
            first = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
            self._job_failed("Export Generator", error, f"Could not export the generator: {first}")

        self.reader.export_generator(self.model.run_dir, step, fmt, path, ema, done, failed)

    def _current_config(self) -> RunConfig | None:
        run_dir = self.model.run_dir
        if run_dir is not None and run_dir.config_path.exists():
            try:
                return run_dir.read_config()
            except StudioError:  # damaged since the run was opened: the settings on screen
                pass
        try:
            return self.controls.config()
        except ConfigError:
            return None
