"""The latent space as the window sees it: the model, the render jobs and the view, composed.

``LatentSpace`` renders whatever the model says changed (the vector on screen, the shelf's
thumbnails, the strip, the arithmetic), hands G's images to the view, and says what went wrong
through ``message`` and in the view. It is all the main window uses of ``gui.latent``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import RunConfig
from dcgan_studio.core.latent import LatentRenderer
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.latent.explorer import LatentExplorer
from dcgan_studio.gui.latent.jobs import LatentJobs
from dcgan_studio.gui.latent.model import (
    DIRECTION_SAMPLES,
    DIRECTIONS,
    LatentSelection,
    ShownGenerator,
)


class LatentSpace(QObject):
    message = Signal(str)  # one line for the status bar
    saved = Signal(list)  # the files a save wrote

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = LatentSelection()
        self.jobs = LatentJobs(self)
        self.view = LatentExplorer(self.model, self.find_directions, self._save)
        self.jobs.renderer_changed.connect(self._on_jobs_renderer_changed)
        self.jobs.rendered.connect(self.view.show_rendered)
        self.jobs.render_failed.connect(lambda text: self._report(f"Rendering failed: {text}"))
        model = self.model
        model.generator_changed.connect(lambda: self._render(*model.image_keys()))
        model.chosen.connect(lambda: self._render("main"))
        model.moved.connect(lambda: self._render("main"))
        model.refused.connect(self._report)
        model.ema_changed.connect(self._on_model_ema_changed)
        self._source: GeneratorWeightsSnapshot | Path | None = None  # what G was built from
        model.shelf.added.connect(self._on_shelf_added)
        model.interpolation.changed.connect(lambda: self._render("strip"))
        model.arithmetic.changed.connect(lambda: self._render("operands", "arithmetic"))

    # ---- what the window calls ----------------------------------------------------------------
    def set_run(self, run_root: Path | None, config: RunConfig | None) -> None:
        self.model.set_run(run_root, config)

    def set_training(self, training: bool) -> None:
        """A session started or ended: G's weights here are live, or as the run left them."""
        self.model.set_training(training)

    def set_grid_vectors(self, z: np.ndarray | None) -> None:
        """(N, nz) the z of the sample grid's tiles, for ``take_tile``."""
        self.model.set_grid_vectors(z)

    def wants_weights(self, snapshot: GeneratorWeightsSnapshot) -> bool:
        """Whether ``snapshot`` would show something new: no G yet, one from a checkpoint, or
        one of another step."""
        shown, model = self.model.generator, self.model
        return (
            shown is None
            or shown.source is not None
            or shown.step != snapshot.step
            or shown.ema != (model.ema and snapshot.ema_state is not None)
        )

    def show_weights(self, snapshot: GeneratorWeightsSnapshot) -> None:
        """Render everything on screen with training's weights of ``snapshot.step``."""
        self._source = snapshot
        what = f"{'G (EMA)' if self.model.ema else 'G'} at step {snapshot.step}"
        self.jobs.use_weights(snapshot, self._could_not_open(what), self.model.ema)

    def open_checkpoint(self, path: str | Path) -> None:
        self._source = Path(path)
        self.jobs.use_checkpoint(path, self._could_not_open(str(path)), self.model.ema)

    def take_tile(self, index: int) -> None:
        """The z of the sample grid's tile ``index`` becomes the vector on screen."""
        self.model.take_tile(index)

    def save(self, kind: str, out: str | Path) -> None:
        """Save ``kind`` (image | grid | strip | animation | samples) to ``out`` without a
        dialog; the outcome is said through ``message`` (and ``saved`` with the files)."""
        self._save(kind, Path(out), False)

    def find_directions(self) -> None:
        """G's principal directions, found off the GUI thread, become the Directions sliders."""
        if self.model.search_directions():
            self.jobs.find_directions(
                DIRECTIONS, DIRECTION_SAMPLES, self.model.set_directions, self._not_found
            )

    def shutdown(self) -> None:
        self.view.stop()
        self.jobs.shutdown()

    # ---- G and its images ---------------------------------------------------------------------
    def _on_jobs_renderer_changed(self, renderer: LatentRenderer) -> None:
        generator = ShownGenerator(renderer.step, renderer.nz, renderer.source, renderer.ema)
        self.model.set_generator(generator)

    def _on_model_ema_changed(self) -> None:
        """G or G (EMA) chosen: the same weights' other copy, from where G came from."""
        if isinstance(self._source, GeneratorWeightsSnapshot):
            self.show_weights(self._source)
        elif self._source is not None:
            self.open_checkpoint(self._source)

    def _render(self, *keys: str) -> None:
        """Ask G for the images of ``keys`` that show something now."""
        for key in keys:
            z = self.model.vectors_for(key)
            if z is not None:
                self.jobs.render(key, z)

    def _on_shelf_added(self, uid: int) -> None:
        self._render(f"thumb:{uid}")
        self.message.emit(f"Pinned {self.model.shelf.name(uid)} to the shelf.")

    # ---- saving -------------------------------------------------------------------------------
    def _save(self, kind: str, out: Path, interactive: bool) -> None:
        """Render and write ``kind`` to ``out`` off the GUI thread; a failure is also shown in
        a dialog when the person asked through one (``interactive``)."""

        def failed(error: Exception) -> None:
            text = f"Could not save the {kind}: {error}"
            self._report(text)
            if interactive:
                self.view.warn("Could not save", text)

        def done(files: list[Path]) -> None:
            if kind == "samples":
                text = f"Saved {len(files)} samples in {out}, each with its .json sidecar"
            else:
                text = f"Saved {files[0]} and its sidecar {files[0].with_suffix('.json').name}"
            self.message.emit(text)
            self.saved.emit(files)

        try:
            creation = self.model.creation(kind)
        except (StudioError, ValueError) as exc:
            failed(exc)
            return
        self.jobs.save(creation, out, self.model.run_root, self.model.config, done, failed)

    # ---- what went wrong ----------------------------------------------------------------------
    def _could_not_open(self, what: str) -> Callable[[Exception], None]:
        return lambda error: self._report(f"Could not open {what}: {error}")

    def _not_found(self, error: Exception) -> None:
        self.model.directions_not_found()
        self._report(f"Could not find directions: {error}")

    def _report(self, text: str) -> None:
        self.view.show_problem(text)
        self.message.emit(text)
