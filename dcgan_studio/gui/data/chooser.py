"""The data workspace as the window sees it: the dataset choice (model), its preview loader (jobs)
and the Data panel (view), put together."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import DatasetSummary, LoadCancelled
from dcgan_studio.core.data.folder import NoImagesError
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.data.dataset_panel import DatasetPanel
from dcgan_studio.gui.data.jobs import DataJobs
from dcgan_studio.gui.data.model import DatasetChoice
from dcgan_studio.gui.wording import in_window_words


class DatasetChooser(QObject):
    message = Signal(str)  # a failure or a cancel, for the status bar
    dataset_chosen = Signal(str, object)  # the person chose: dataset name, data root or None

    def __init__(self, run_config: Callable[[], RunConfig], parent: QObject | None = None) -> None:
        """``run_config()``: the settings on screen, which a preview loads the data for."""
        super().__init__(parent)
        self._run_config = run_config
        self.model = model = DatasetChoice()
        self._jobs = DataJobs(self)
        self.panel = DatasetPanel(model, preview=self._on_preview_asked, cancel=self.cancel)
        model.chosen.connect(self.dataset_chosen.emit)
        model.said.connect(self.message.emit)

    @property
    def summary(self) -> DatasetSummary | None:
        """The summary of the preview on screen."""
        return self.model.summary

    @property
    def busy(self) -> bool:
        """A preview is loading."""
        return self.model.busy

    def set_dataset(self, name: str, data_root: str | None) -> None:
        """Show a choice made elsewhere (an opened run, the training controls); emits nothing."""
        self.model.show(name, data_root)

    def preview(self, cfg: RunConfig) -> None:
        """Load ``cfg``'s dataset off the GUI thread and show it; a newer call wins."""
        generation = self.model.begin(cfg)
        progress = partial(self.model.report_progress, generation)
        self._jobs.load(
            cfg, self.model.downloading, progress, self.model.finish, self._on_load_failed
        )

    def cancel(self) -> None:
        """Stop the preview under way (the Cancel button); the panel says it was cancelled."""
        if self.model.cancel():
            self._jobs.cancel()

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop what is loading and the worker; True when its thread has ended."""
        return self._jobs.shutdown(timeout)

    def _on_preview_asked(self) -> None:
        """Preview: the chosen dataset, with the rest of the settings on screen."""
        model = self.model
        try:
            cfg = (
                self._run_config()
                .with_values({"data.dataset": model.name, "data.data_root": model.data_root})
                .validate()
            )
        except StudioError as exc:
            model.refuse(in_window_words(str(exc)))
            return
        self.preview(cfg)

    def _on_load_failed(self, error: Exception) -> None:
        if isinstance(error, LoadCancelled):
            self.model.stopped(str(error))
        elif isinstance(error, StudioError):
            scan = error.scan if isinstance(error, NoImagesError) else None
            self.model.fail(in_window_words(str(error)), scan)
        else:  # a bug: the person gets one line, the log has the traceback (the worker's)
            what = f"{type(error).__name__}: {error}"
            self.model.fail(
                f"previewing {self.model.requested} failed unexpectedly ({what}): "
                "the details are in the log file"
            )
