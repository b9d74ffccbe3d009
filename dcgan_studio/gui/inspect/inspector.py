"""Looking inside G and D: the feature-map, architecture, filters and gradient views, and where
their pictures come from.

While training runs, feature maps come from the engine: the view's ProbeRequest goes through the
session's command queue and the engine answers with FeatureMapSnapshots at its own cadence. For a
step picked on the history scrubber, or when no training runs, they come from the run's checkpoint
at or before that step, read and computed on a background thread (a generation counter drops
answers that arrive after the person has asked for something else). When the feature-map view is
hidden the engine is told to stop capturing, so it costs nothing.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from dcgan_studio.config import ModelConfig, RunConfig
from dcgan_studio.core.architecture import discriminator_plan, generator_plan
from dcgan_studio.core.concepts import explain, topic
from dcgan_studio.core.probes import CheckpointProbe, layer_spec
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import FeatureMapSnapshot, FiltersSnapshot, ProbeRequest
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.background import run_in_background
from dcgan_studio.gui.inspect.architecture_panel import ArchitecturePanel
from dcgan_studio.gui.inspect.feature_maps import FeatureMapPanel
from dcgan_studio.gui.inspect.filters_panel import FiltersPanel
from dcgan_studio.gui.inspect.gradient_plot import GradientPanel
from dcgan_studio.gui.training.session import TrainingSession


class NetworkInspector(QObject):
    message = Signal(str)  # for the status bar: where a picture came from, or why it did not
    layer_chosen = Signal()  # the person picked a layer in the architecture: show its maps

    def __init__(self, session: TrainingSession, history, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.feature_maps = FeatureMapPanel()
        self.architecture = ArchitecturePanel()
        self.filters = FiltersPanel()
        self.gradients = GradientPanel(history)
        self.run_dir: RunDirectory | None = None
        self.training = False  # a session is running: pictures come from the engine
        self.picked_step: int | None = None  # a past step picked on the scrubber, else live
        self.visible = True  # the feature-map view can be seen
        self._generation = 0
        self._looker: CheckpointProbe | None = None  # the checkpoint last read, kept for reuse
        self._model: ModelConfig | None = None
        self.feature_maps.request_changed.connect(self._on_feature_maps_request_changed)
        self.architecture.layer_selected.connect(self._on_architecture_layer_selected)
        self.filters.setToolTip(topic("filters").short)
        self.gradients.setToolTip(topic("gradients").short)

    # ---- what the run is ----------------------------------------------------------------------
    def set_model_config(self, model: ModelConfig, sample_count: int | None = None) -> None:
        """Follow the model settings (before a run) or the opened run's model."""
        self.architecture.set_model_config(model)
        try:
            g_plan, d_plan = generator_plan(model), discriminator_plan(model)
        except StudioError:
            return  # the architecture view shows what is wrong with the settings
        if model != self._model:
            self._model = model
            self.feature_maps.set_plans(g_plan, d_plan)
        if sample_count is not None:
            self.feature_maps.set_sample_count(sample_count)

    def set_run(self, run_dir: RunDirectory | None, config: RunConfig | None = None) -> None:
        self.run_dir, self._looker, self.picked_step = run_dir, None, None
        if config is not None:
            self.set_model_config(config.model, config.schedule.sample_count)
        self._refresh_from_checkpoint()

    # ---- the live session ---------------------------------------------------------------------
    def session_started(self) -> None:
        self.training = True
        self._send_probe()

    def session_ended(self) -> None:
        self.training = False  # the newer checkpoint has another path: the next read loads it
        if self.visible:  # the maps of the run's last checkpoint, not of the last live capture
            self._refresh_from_checkpoint()

    def show_live(self, latest: dict) -> None:
        """The newest snapshots from the window's redraw timer."""
        if self.picked_step is not None:
            return  # the person is looking at a past step
        maps = latest.get(FeatureMapSnapshot)
        if maps is not None:
            self.feature_maps.show_snapshot(maps)
        filters = latest.get(FiltersSnapshot)
        if filters is not None:
            self.filters.show_filters(filters)

    def set_visible(self, visible: bool) -> None:
        """Hidden feature maps cost the training nothing: the engine stops capturing."""
        if visible != self.visible:
            self.visible = visible
            self._send_probe()
            if visible and not self.training:  # hidden while the run went on, or ended
                self._refresh_from_checkpoint()

    def _send_probe(self) -> None:
        if self.training:
            live = self.visible and self.picked_step is None
            self.session.probe(self.feature_maps.request() if live else None)

    # ---- the history scrubber -----------------------------------------------------------------
    def select_step(self, step: int | None, live: bool) -> None:
        """The person picked a step on the scrubber; ``live`` when it is the newest one."""
        self.gradients.set_cursor(step)
        self.picked_step = None if live else step
        if self.training:
            self._send_probe()
            if live:
                return
        self._refresh_from_checkpoint()

    # ---- requests -----------------------------------------------------------------------------
    def _on_feature_maps_request_changed(self, request: ProbeRequest) -> None:
        self._explain(request)
        if self.training and self.picked_step is None:
            self._send_probe()
        else:
            self._refresh_from_checkpoint()

    def _on_architecture_layer_selected(self, network: str, layer: str) -> None:
        panel = self.feature_maps
        if panel.network() != network:
            panel.network_box.setCurrentIndex(0 if network == "g" else 1)
        index = panel.layer_box.findData(layer)
        if index >= 0:
            panel.layer_box.setCurrentIndex(index)
            self.layer_chosen.emit()

    def _explain(self, request: ProbeRequest) -> None:
        plan = (
            generator_plan(self._model)
            if request.network == "g"
            else discriminator_plan(self._model)
        )
        spec = next(s for s in plan.layers if s.name == request.layer)
        concept = explain(spec.kind, request.network)
        self.feature_maps.set_info(f"<b>{html.escape(concept.title)}</b>{concept.long}")

    # ---- pictures from a checkpoint -----------------------------------------------------------
    def _checkpoint_for(self, step: int | None) -> int | None:
        """The step of the run's checkpoint at or before ``step`` (the newest when None)."""
        if self.run_dir is None:
            return None
        steps = self.run_dir.checkpoint_steps()
        usable = [s for s in steps if step is None or s <= step] or steps[:1]
        return usable[-1] if usable else None

    def _refresh_from_checkpoint(self) -> None:
        request = self.feature_maps.request()
        step = self._checkpoint_for(self.picked_step)
        if request is None or step is None:
            return
        path = self.run_dir.checkpoint_path(step)
        shown = self.feature_maps.snapshot
        wanted = self.picked_step
        if (
            shown is not None
            and shown.request == request
            and shown.checkpoint
            and Path(shown.checkpoint) == path
        ):
            self._generation += 1  # an answer still on its way is for another question
            self._say_nearest(wanted, step)  # that checkpoint's maps are on screen already
            return
        self._generation += 1
        generation, looker = self._generation, self._looker

        def work() -> tuple[CheckpointProbe, FeatureMapSnapshot, FiltersSnapshot]:
            nonlocal looker
            if looker is None or looker.checkpoint.path != path:
                checkpoint = open_checkpoint(path)
                same_data = looker is not None and _same_data(
                    looker.checkpoint.config, checkpoint.config
                )
                looker = CheckpointProbe(checkpoint, looker.dataset if same_data else None)
            layer_spec(
                looker.generator if request.network == "g" else looker.discriminator, request.layer
            )
            return looker, looker.feature_maps(request), looker.filters()

        def done(result, error: Exception | None) -> None:
            if generation != self._generation:
                return  # the person has asked for something else since
            if error is not None:
                self.message.emit(f"Could not read feature maps from {path}: {error}")
                return
            self._looker, maps, filters = result
            self.feature_maps.show_snapshot(maps)
            self.filters.show_filters(filters)
            self._say_nearest(wanted, maps.step)

        run_in_background(self, work, done)

    def _say_nearest(self, wanted: int | None, step: int) -> None:
        if wanted is not None and step != wanted:
            self.message.emit(
                f"Feature maps of step {wanted} come from the nearest saved "
                f"checkpoint, step {step}."
            )


def _same_data(a: RunConfig, b: RunConfig) -> bool:
    """Both checkpoints see the same images (same dataset, size and channels)."""
    return (a.data, a.model.image_size, a.model.channels) == (
        b.data,
        b.model.image_size,
        b.model.channels,
    )
