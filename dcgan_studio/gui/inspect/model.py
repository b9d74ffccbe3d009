"""What the inspection looks at, Qt-free: the layer plans of G and D, the layer and sample whose
feature maps are shown, and where those come from (the live engine or a saved checkpoint).

The plans are computed here once for a model config; the feature-map view's combo boxes follow
``target_changed`` and the architecture view follows ``plans_changed``. ``request`` is the
``ProbeRequest`` the target makes (None until a config gave the plans); ``request_changed`` says
when it is another one, so the inspector can ask the engine or a checkpoint for its maps.
"""

from __future__ import annotations

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.architecture import (
    LayerSpec,
    NetworkPlan,
    discriminator_plan,
    generator_plan,
)
from dcgan_studio.core.snapshots import ProbeRequest
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.events import Event

NETWORKS = ("g", "d")
SOURCES = ("fake", "real")
SAMPLE_COUNT = 64  # the fixed-noise grid's tiles until a config says otherwise


def default_layer(network: str, plan: NetworkPlan) -> str:
    """G: the last ReLU (before tanh); D: the first LeakyReLU, where D's edge detectors are."""
    kind = "relu" if network == "g" else "leaky_relu"
    layers = [s.name for s in plan.layers if s.kind == kind]
    if layers:
        return layers[-1] if network == "g" else layers[0]
    return plan.layers[0].name


def checkpoint_at(steps: list[int], step: int | None) -> int | None:
    """Of the saved ``steps`` (ascending), the one at or before ``step`` (the newest when None;
    the oldest when all come later); None when there are none."""
    usable = [s for s in steps if step is None or s <= step] or steps[:1]
    return usable[-1] if usable else None


class InspectionTarget:
    """Which layer of which network, for which sample, at which step; and whether it is seen."""

    def __init__(self) -> None:
        self.config: ModelConfig | None = None
        self.plans: dict[str, NetworkPlan] = {}  # "g" and "d"; the last ones that could be built
        self.plan_error: StudioError | None = None  # why ``config`` gives no networks
        self.network = "g"
        self.layers: dict[str, str] = {}  # the chosen layer of each network, kept across switches
        self.source = "fake"  # "fake": a fixed-noise tile; "real": a fixed real image (D only)
        self.index = 0
        self.sample_count = SAMPLE_COUNT
        self.picked_step: int | None = None  # a past step picked on the scrubber; None: live
        self.visible = True  # the feature-map view can be seen
        self.training = False  # a session runs: live pictures come from the engine
        self.request: ProbeRequest | None = None
        self.plans_changed = Event()  # () config, plans or plan_error
        self.target_changed = Event()  # () network, layer, source, index or sample_count
        self.request_changed = Event()  # (ProbeRequest) another request than before

    # ---- the networks -------------------------------------------------------------------------
    def set_model_config(self, config: ModelConfig, sample_count: int | None = None) -> None:
        """Follow the model settings; a config that builds no networks keeps the last plans (the
        architecture view shows ``plan_error``) and the sample count."""
        if config != self.config:
            self.config = config
            try:
                plans = {"g": generator_plan(config), "d": discriminator_plan(config)}
            except StudioError as exc:
                self.plan_error = exc
                self.plans_changed.emit()
                return
            self.plans, self.plan_error = plans, None
            for network, plan in plans.items():
                if self.layers.get(network) not in {s.name for s in plan.layers}:
                    self.layers[network] = default_layer(network, plan)
            self.plans_changed.emit()
        elif self.plan_error is not None:
            return
        if sample_count is not None:
            self.sample_count = max(1, sample_count)
        self._changed()

    def layer_spec(self, network: str, layer: str) -> LayerSpec | None:
        plan = self.plans.get(network)
        return next((s for s in plan.layers if s.name == layer), None) if plan else None

    # ---- the target ---------------------------------------------------------------------------
    def select_network(self, network: str) -> None:
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, not {network!r}")
        self.network = network
        self._changed()

    def select_layer(self, network: str, layer: str) -> bool:
        """Show ``layer`` of ``network``; False (and nothing changes) when it has no such layer."""
        if self.layer_spec(network, layer) is None:
            return False
        self.network = network
        self.layers[network] = layer
        self._changed()
        return True

    def select_source(self, source: str) -> None:
        self.select_sample(source, self.index)

    def select_index(self, index: int) -> None:
        self.select_sample(self.source, index)

    def select_sample(self, source: str, index: int) -> None:
        """A tile of the sample grid ("fake") or a real image ("real", which only D sees)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        if source == "real":
            self.network = "d"
        self.source, self.index = source, index
        self._changed()

    def set_sample_count(self, count: int) -> None:
        """Tiles in the fixed-noise grid (and images in the real batch): the index runs below."""
        self.sample_count = max(1, count)
        self._changed()

    def _changed(self) -> None:
        if self.network == "g":
            self.source = "fake"  # G is always probed with a fixed-noise tile
        self.index = min(max(0, self.index), self.sample_count - 1)
        self.target_changed.emit()
        layer = self.layers.get(self.network)
        request = ProbeRequest(self.network, layer, self.source, self.index) if layer else None
        if request != self.request:
            self.request = request
            if request is not None:
                self.request_changed.emit(request)

    # ---- where the pictures come from ---------------------------------------------------------
    def select_step(self, step: int | None, live: bool) -> None:
        """The person picked ``step`` on the scrubber; ``live`` when it is the newest one."""
        self.picked_step = None if live else step

    def set_visible(self, visible: bool) -> None:
        self.visible = visible

    def set_training(self, training: bool) -> None:
        self.training = training

    @property
    def live_request(self) -> ProbeRequest | None:
        """What the engine should capture while it trains: nothing for a hidden view or a past
        step, so the capture costs the training nothing then."""
        return self.request if self.visible and self.picked_step is None else None

    @property
    def from_checkpoint(self) -> bool:
        """The maps come from a checkpoint: no session runs, or a past step is picked."""
        return not self.training or self.picked_step is not None
