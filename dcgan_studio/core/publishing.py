"""What a run shows and keeps of its steps, each once: the scalars and the sample grid go out as
snapshots for the viewers and into the run folder; alerts go out as they rise and are recorded
with the checkpoint to go back to; streamed image files found broken while training are said.

Every file is written through the run's ``RunWriter``: a failed write is kept there for the engine
to report (it pauses or stops the run), never raised here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dcgan_studio.core.alerts import Alert, AlertMonitor
from dcgan_studio.core.data import skipped_line
from dcgan_studio.core.export import save_grid_png
from dcgan_studio.core.run_writer import RunWriter
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import (
    AlertSnapshot,
    FiltersSnapshot,
    GeneratorWeightsSnapshot,
    RealBatchSnapshot,
    SampleGridSnapshot,
    ScalarSnapshot,
    Snapshot,
)


class Publisher:
    def __init__(self, alerts: AlertMonitor, writer: RunWriter) -> None:
        self.alerts = alerts  # the signs of failing training, the same in every viewer
        self.writer = writer
        self.logged_step = self.grid_step = -1  # the last step whose scalars / grid went out
        self._broken_reported = 0  # streamed files found broken while training, said so far
        self._alerts_showing: tuple[str, ...] = ()  # the kinds of alert last said to be active
        self.tensorboard: Any = None  # core.tensorboard_log.TensorBoardLog, when the run asks

    def seen(self, step: int) -> None:
        """The scalars and the grid of ``step`` went out already (before a resume)."""
        self.logged_step = self.grid_step = step

    def scalars(self, run: RunDirectory | None, scalars: ScalarSnapshot) -> Iterator[Snapshot]:
        if run is not None:
            self.writer.write(
                "the metrics line", run.metrics_path, lambda: run.append_metrics(scalars.to_dict())
            )
            if self.tensorboard is not None:
                events = run.root / "tensorboard"
                self.writer.write(
                    "the TensorBoard events",
                    events,
                    lambda log=self.tensorboard: log.scalars(scalars),
                )
        self.logged_step = scalars.step
        yield scalars
        yield from self.alerts_raised(run, scalars.step, self.alerts.observe_scalars(scalars))

    def grid(
        self,
        run: RunDirectory | None,
        grid: SampleGridSnapshot,
        real: RealBatchSnapshot,
        weights: GeneratorWeightsSnapshot,
        filters: FiltersSnapshot,
    ) -> Iterator[Snapshot]:
        """The fixed-noise grid (saved as a PNG) with what goes out beside it."""
        self.grid_step = grid.step
        if run is not None:
            path = run.sample_path(grid.step)
            self.writer.write("the sample grid", path, lambda: save_grid_png(grid.images, path))
            if self.tensorboard is not None:
                events = run.root / "tensorboard"
                self.writer.write(
                    "the TensorBoard events", events, lambda log=self.tensorboard: log.grid(grid)
                )
        yield from (grid, real, weights, filters)
        if not self.alerts.has_real_reference:  # the same fixed batch every time
            self.alerts.observe_real_diversity(real.images)
        yield from self.alerts_raised(run, grid.step, self.alerts.observe_samples(grid))

    def alerts_raised(
        self, run: RunDirectory | None, step: int, raised: list[Alert]
    ) -> Iterator[Snapshot]:
        """Each alert once, as it rises, with the kinds still showing (one may have cleared)."""
        active = tuple(sorted(self.alerts.active))
        if not raised and active == self._alerts_showing:
            return
        self._alerts_showing = active
        for alert in raised:
            yield AlertSnapshot(step, alert, active, self.record_alert(run, alert))
        if not raised:
            yield AlertSnapshot(step, None, active)

    def record_alert(self, run: RunDirectory | None, alert: Alert) -> int | None:
        """Record ``alert`` in the run with the checkpoint to go back to, which pruning keeps
        from now on; returns that checkpoint's step."""
        if run is None:
            return None
        kept = run.checkpoint_before(alert)
        self.writer.write("the alert", run.alerts_path, lambda: run.record_alert(alert, kept))
        return kept

    def newly_broken(self, images: Any) -> str | None:
        """What to say of the files of a streamed dataset that failed while training, once for
        each new failure; None when there is nothing new."""
        failed = getattr(images, "failed", None)
        if not failed or sum(map(len, failed.values())) == self._broken_reported:
            return None
        self._broken_reported = sum(map(len, failed.values()))
        lines = "; ".join(skipped_line(reason, paths) for reason, paths in failed.items())
        return (
            f"{self._broken_reported} image file(s) could not be read while training and "
            f"another image took each place ({lines}): replace or remove them"
        )
