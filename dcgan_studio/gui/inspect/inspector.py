"""Looking inside G and D: the feature-map, architecture, filters and gradient views, and where
their pictures come from.

While training runs, feature maps come from the engine: the target's ProbeRequest goes out
through ``send_probe`` (the session's command queue) and the engine answers with
FeatureMapSnapshots at its own cadence. For a step picked on the history scrubber, or when no
training runs, they come from the run's checkpoint at or before that step, read off the GUI thread
by ``jobs.CheckpointReads`` (an answer that comes after the person asked for something else is
dropped there). When the feature-map view is hidden the engine is told to stop capturing, so it
costs nothing.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import ModelConfig, RunConfig
from dcgan_studio.core.concepts import explain, topic
from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import FeatureMapSnapshot, FiltersSnapshot, ProbeRequest
from dcgan_studio.gui.inspect.architecture_panel import ArchitecturePanel
from dcgan_studio.gui.inspect.feature_maps import FeatureMapPanel
from dcgan_studio.gui.inspect.filters_panel import FiltersPanel
from dcgan_studio.gui.inspect.gradient_plot import GradientPanel
from dcgan_studio.gui.inspect.jobs import CheckpointReads
from dcgan_studio.gui.inspect.model import InspectionTarget, checkpoint_at


class NetworkInspector(QObject):
    message = Signal(str)  # for the status bar: where a picture came from, or why it did not
    layer_chosen = Signal()  # the person picked a layer in the architecture: show its maps

    def __init__(
        self,
        history: LossHistory,
        send_probe: Callable[[ProbeRequest | None], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = InspectionTarget()
        self.feature_maps = FeatureMapPanel(self.model)
        self.architecture = ArchitecturePanel(self.model)
        self.filters = FiltersPanel()
        self.gradients = GradientPanel(history)
        self._send_probe = send_probe
        self._reads = CheckpointReads(self)
        self._run_dir: RunDirectory | None = None  # where checkpoints are read from
        self._checkpoints: list[int] | None = None  # a followed run's whole ones (None: list)
        self.model.request_changed.connect(self._on_model_request_changed)
        self.architecture.layer_selected.connect(self._on_architecture_layer_selected)
        self.filters.setToolTip(topic("filters").short)
        self.gradients.setToolTip(topic("gradients").short)

    # ---- what the run is ----------------------------------------------------------------------
    def set_model_config(self, model: ModelConfig, sample_count: int | None = None) -> None:
        """Follow the model settings (before a run) or the opened run's model."""
        self.model.set_model_config(model, sample_count)

    def set_run(
        self,
        run_dir: RunDirectory | None,
        config: RunConfig | None = None,
        checkpoints: Sequence[int] | None = None,
    ) -> None:
        """The run whose checkpoints the maps come from; ``checkpoints``: their steps where
        they are known already (see ``set_checkpoint_steps``)."""
        self._run_dir = run_dir
        self.set_checkpoint_steps(checkpoints)
        self._reads.forget()
        self.model.select_step(None, live=True)
        if config is not None:
            self.set_model_config(config.model, config.schedule.sample_count)
        self._refresh_from_checkpoint()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop reading checkpoints (the window closes); wait up to ``timeout`` s for a read."""
        self._reads.shutdown(timeout)

    # ---- the live session ---------------------------------------------------------------------
    def session_started(self) -> None:
        self.model.set_training(True)
        self._probe_live()

    def session_ended(self) -> None:
        self.model.set_training(False)  # the newer checkpoint has another path: read it anew
        if self.model.visible:  # the maps of the run's last checkpoint, not of the last capture
            self._refresh_from_checkpoint()

    def set_checkpoint_steps(self, steps: Sequence[int] | None) -> None:
        """A followed run's whole checkpoints, as its follower found them off the GUI thread:
        the maps go by these, never by a listing of its folder here (slow on a network folder,
        and it may show a checkpoint still being synced). None: the run's folder is listed, as
        for a run opened or trained here."""
        self._checkpoints = None if steps is None else list(steps)

    def checkpoint_landed(self) -> None:
        """A followed run saved a checkpoint: the maps of the newest step show it, when on
        screen (hidden, they are read when brought to the front)."""
        if self.model.visible and self.model.picked_step is None and not self.model.training:
            self._refresh_from_checkpoint()

    def show_feature_maps(self, snap: FeatureMapSnapshot) -> None:
        """The engine's newest feature maps (ignored while a past step is shown)."""
        if self.model.picked_step is None:
            self.feature_maps.show_snapshot(snap)

    def show_filters(self, snap: FiltersSnapshot) -> None:
        """The engine's newest filters (ignored while a past step is shown)."""
        if self.model.picked_step is None:
            self.filters.show_filters(snap)

    def set_visible(self, visible: bool) -> None:
        """Hidden feature maps cost the training nothing: the engine stops capturing."""
        if visible != self.model.visible:
            self.model.set_visible(visible)
            self._probe_live()
            if visible and not self.model.training:  # hidden while the run went on, or ended
                self._refresh_from_checkpoint()

    def refresh_gradients(self) -> None:
        """Draw the history's gradient norms as they are now (the Gradients view is in front)."""
        self.gradients.refresh()

    def _probe_live(self) -> None:
        if self.model.training:
            self._send_probe(self.model.live_request)

    # ---- the history scrubber and the sample grid ---------------------------------------------
    def select_step(self, step: int | None, live: bool) -> None:
        """The person picked a step on the scrubber; ``live`` when it is the newest one."""
        self.gradients.set_cursor(step)
        self.model.select_step(step, live)
        if self.model.training:
            self._probe_live()
            if live:
                self._reads.cancel()  # the engine's maps replace a checkpoint's
                return
        self._refresh_from_checkpoint()

    def select_sample(self, source: str, index: int) -> None:
        """A tile of the sample grid ("fake") or a real image ("real", so D) was clicked."""
        self.model.select_sample(source, index)

    # ---- requests -----------------------------------------------------------------------------
    def _on_model_request_changed(self, request: ProbeRequest) -> None:
        self._explain(request)
        if self.model.from_checkpoint:
            self._refresh_from_checkpoint()
        else:
            self._probe_live()

    def _on_architecture_layer_selected(self, network: str, layer: str) -> None:
        if self.model.select_layer(network, layer):
            self.layer_chosen.emit()

    def _explain(self, request: ProbeRequest) -> None:
        spec = self.model.layer_spec(request.network, request.layer)
        concept = explain(spec.kind, request.network)
        self.feature_maps.set_info(f"<b>{html.escape(concept.title)}</b>{concept.long}")

    # ---- pictures from a checkpoint -----------------------------------------------------------
    def _refresh_from_checkpoint(self) -> None:
        request, wanted = self.model.request, self.model.picked_step
        if request is None or self._run_dir is None:
            return
        steps = self._checkpoints
        step = checkpoint_at(self._run_dir.checkpoint_steps() if steps is None else steps, wanted)
        if step is None:
            return
        path = self._run_dir.checkpoint_path(step)
        shown = self.feature_maps.snapshot
        if (
            shown is not None
            and shown.request == request
            and shown.checkpoint
            and Path(shown.checkpoint) == path
        ):
            self._reads.cancel()  # an answer still on its way is for another question
            self._say_nearest(wanted, step)  # that checkpoint's maps are on screen already
            return

        def done(result: tuple[FeatureMapSnapshot, FiltersSnapshot]) -> None:
            maps, filters = result
            self.feature_maps.show_snapshot(maps)
            self.filters.show_filters(filters)
            self._say_nearest(wanted, maps.step)

        def failed(error: Exception) -> None:
            self.message.emit(f"Could not read feature maps from {path}: {error}")

        self._reads.read(path, request, done, failed)

    def _say_nearest(self, wanted: int | None, step: int) -> None:
        if wanted is not None and step != wanted:
            self.message.emit(
                f"Feature maps of step {wanted} come from the nearest saved "
                f"checkpoint, step {step}."
            )
