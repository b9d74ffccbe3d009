"""What the latent space runs off the GUI thread, all on one worker ("dcgan-render").

It renders with a ``LatentRenderer`` (its own CPU copy of G, built here from the weights training
publishes or from a checkpoint), never with the training model. Renders are keyed ("main",
"strip", "operands", "arithmetic", "thumb:<id>"): a request replaces the one of its key not yet
started, so a dragged slider never queues work, and every render that finishes is shown. The
rare jobs (a new G, principal directions, saving a file) run in order with the renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import RunConfig
from dcgan_studio.core.latent import Directions, LatentRenderer
from dcgan_studio.core.recipes import Creation, persist_weights, save_creation
from dcgan_studio.core.runs import open_checkpoint
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.workers import Worker

THREAD = "dcgan-render"
OnError = Callable[[Exception], None]


class LatentJobs(QObject):
    rendered = Signal(str, object, float)  # key, uint8 (N, H, W, C), seconds since the request
    renderer_changed = Signal(object)  # the LatentRenderer now in use (step, nz, source)
    render_failed = Signal(str)  # one line for a person

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker(THREAD, self)
        self.renderer: LatentRenderer | None = None  # used on the worker only, once adopted
        self.latencies: list[float] = []  # seconds from request to rendered, "main" only

    # ---- renders ------------------------------------------------------------------------------
    def render(self, key: str, z: np.ndarray) -> None:
        """Render vectors (N, nz) for ``key`` with the renderer in use; nothing without one."""
        renderer = self.renderer
        if renderer is None:
            return
        z, asked = np.array(z, np.float32, copy=True), time.perf_counter()

        def work() -> tuple[np.ndarray, float]:
            return renderer.render(z), time.perf_counter() - asked

        self._worker.submit(
            work,
            lambda result: self._on_rendered(key, *result),
            key=key,
            on_error=lambda exc: self.render_failed.emit(str(exc)),
            every_answer=True,  # a dragged slider shows every image that was ready
            trim_memory=False,  # a render frees little, and often
        )

    def _on_rendered(self, key: str, images: np.ndarray, seconds: float) -> None:
        if key == "main":
            self.latencies.append(seconds)
        self.rendered.emit(key, images, seconds)

    @property
    def dropped(self) -> int:
        """Requests replaced by newer ones of their key before they were rendered."""
        return self._worker.replaced

    @property
    def busy(self) -> bool:
        return self._worker.busy

    # ---- a generator to render with -----------------------------------------------------------
    def use_weights(
        self, snapshot: GeneratorWeightsSnapshot, on_error: OnError, ema: bool = False
    ) -> None:
        """Build a renderer from training's weights (G's, or G (EMA)'s); render with it from
        then on."""
        self._adopt(lambda: LatentRenderer.from_weights(snapshot, ema), on_error)

    def use_checkpoint(self, path: str | Path, on_error: OnError, ema: bool = False) -> None:
        self._adopt(lambda: LatentRenderer.from_checkpoint(open_checkpoint(path), ema), on_error)

    def _adopt(self, make: Callable[[], LatentRenderer], on_error: OnError) -> None:
        self._worker.submit(make, self._on_built, on_error=on_error)

    def _on_built(self, renderer: LatentRenderer) -> None:
        self.renderer = renderer
        self.renderer_changed.emit(renderer)

    # ---- the rare jobs ------------------------------------------------------------------------
    def find_directions(
        self, count: int, samples: int, on_done: Callable[[Directions], None], on_error: OnError
    ) -> None:
        """G's ``count`` principal directions, from ``samples`` random z."""
        renderer = self.renderer
        if renderer is None:
            return

        def work() -> Directions:
            return renderer.principal_directions(count, samples)

        self._worker.submit(work, on_done, on_error=on_error)

    def save(
        self,
        creation: Creation,
        out: Path,
        run_root: Path | None,
        config: RunConfig | None,
        on_done: Callable[[list[Path]], None],
        on_error: OnError,
    ) -> None:
        """Render and write ``creation`` to ``out`` with its sidecars; weights from training are
        first kept in the run's folder, for the sidecar to name them."""
        renderer = self.renderer
        if renderer is None:
            on_error(StudioError("there is no generator yet: start training or open a checkpoint"))
            return
        config = renderer.run_config or config

        def work() -> list[Path]:
            weights = renderer.source
            if weights is None:
                if run_root is None or config is None:
                    raise StudioError(
                        "these weights come from training but no run folder "
                        "is known to keep them in"
                    )
                weights = str(persist_weights(renderer, config, run_root))
            return save_creation(renderer, creation, out, weights, config)

        self._worker.submit(work, on_done, on_error=on_error)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Drop what has not started and wait for the job under way; True once it ended."""
        return self._worker.shutdown(timeout)
