"""The only things that cross from the training thread to a viewer: frozen, numpy-backed copies.

Every array in a snapshot is a copy owned by the snapshot and marked read-only, so a viewer on
another thread can keep it as long as it likes while training goes on. No tensors, modules or
optimizers ever leave the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import torch

from dcgan_studio.core.alerts import Alert


def frozen_array(tensor: torch.Tensor) -> np.ndarray:
    """A read-only numpy copy of a tensor, on the CPU, in float32 (or its integer type)."""
    t = tensor.detach()
    if t.is_floating_point() and t.dtype != torch.float32:
        t = t.float()
    array = t.cpu().numpy().copy()
    array.flags.writeable = False
    return array


def to_uint8_images(images: torch.Tensor) -> np.ndarray:
    """(B, C, H, W) in [-1, 1] -> read-only uint8 (B, H, W, C)."""
    array = (
        images.detach()
        .float()
        .add(1.0)
        .mul(127.5)
        .round_()
        .clamp_(0, 255)
        .to(torch.uint8)
        .permute(0, 2, 3, 1)
        .cpu()
        .numpy()
        .copy()
    )
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class ScalarSnapshot:
    """Logged every ``log_every`` iterations; one line of metrics.jsonl."""

    step: int  # G updates done so far
    epoch: int
    epoch_progress: float  # 0..1 through the current epoch
    loss_d: float
    loss_g: float
    d_x: float  # mean D(x) on the real batch: D's probability that real images are real
    d_g_z1: float  # mean D(G(z)) during D's step (before G's update)
    d_g_z2: float  # mean D(G(z)) during G's step (after D's update)
    grad_norm_d: float
    grad_norm_g: float
    lr_d: float
    lr_g: float
    images_per_second: float
    elapsed_seconds: float
    # per-layer gradient norms, "g.convT1" -> norm (empty between log steps' norm readings)
    layer_grad_norms: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def to_dict(self) -> dict[str, float | int]:
        """A flat record (one line of metrics.jsonl): layer norms become "grad.g.convT1" keys."""
        record = {k: v for k, v in self.__dict__.items() if k != "layer_grad_norms"}
        record.update({GRAD_PREFIX + name: value for name, value in self.layer_grad_norms.items()})
        return record


GRAD_PREFIX = "grad."  # metrics keys of per-layer gradient norms: "grad.g.convT1", "grad.d.conv2"


@dataclass(frozen=True)
class SampleGridSnapshot:
    """G on the run's fixed noise, rendered with ``eval()`` under ``no_grad``."""

    step: int
    images: np.ndarray  # uint8 (N, H, W, C)
    d_probabilities: np.ndarray | None = None  # (N,) D's probability that each tile is real
    z: np.ndarray | None = None  # (N, nz) the fixed noise each tile was drawn from
    ema_images: np.ndarray | None = None  # uint8 (N, H, W, C): G (EMA) on the same noise
    ema_d_probabilities: np.ndarray | None = None  # (N,) D's opinion of those


@dataclass(frozen=True)
class RealBatchSnapshot:
    """A fixed batch of real training images, with D's opinion of each at this step."""

    step: int
    images: np.ndarray  # uint8 (N, H, W, C)
    d_probabilities: np.ndarray  # (N,)


@dataclass(frozen=True)
class GeneratorWeightsSnapshot:
    """A copy of G's weights and buffers, for a viewer that renders on its own."""

    step: int
    model_config: Mapping[str, int | float]
    state: Mapping[str, np.ndarray]
    ema_state: Mapping[str, np.ndarray] | None = None  # G (EMA)'s, where there is one

    @classmethod
    def of(
        cls,
        step: int,
        model_config: dict,
        module: torch.nn.Module,
        ema: torch.nn.Module | None = None,
    ) -> GeneratorWeightsSnapshot:
        def frozen(net: torch.nn.Module) -> Mapping[str, np.ndarray]:
            return MappingProxyType({k: frozen_array(v) for k, v in net.state_dict().items()})

        ema_state = None if ema is None else frozen(ema)
        return cls(step, MappingProxyType(dict(model_config)), frozen(module), ema_state)


@dataclass(frozen=True)
class ProbeRequest:
    """Which activation a viewer wants to see: one layer of G or D, for one sample.

    ``source`` "fake" is tile ``index`` of the run's fixed-noise grid (G's input z, or for D the
    image G made from it); "real" is image ``index`` of the fixed real batch (D only)."""

    network: str  # "g" | "d"
    layer: str  # a layer name of the plan: "convT2", "bn2", "relu2", "conv1", "lrelu1", ...
    source: str = "fake"  # "fake" | "real"
    index: int = 0

    def __post_init__(self) -> None:
        if self.network not in ("g", "d"):
            raise ValueError(f"network must be 'g' or 'd', not {self.network!r}")
        if self.source not in ("fake", "real"):
            raise ValueError(f"source must be 'fake' or 'real', not {self.source!r}")
        if self.source == "real" and self.network == "g":
            raise ValueError("G has no real input: use source 'fake' (a fixed-noise tile)")
        if self.index < 0:
            raise ValueError(f"index must be 0 or more, not {self.index}")


@dataclass(frozen=True)
class FeatureMapSnapshot:
    """Every channel of one layer's output for one sample, in eval mode under no_grad."""

    step: int
    request: ProbeRequest
    layer_kind: str  # conv | conv_transpose | batchnorm | relu | leaky_relu | tanh | dropout
    activations: np.ndarray  # float32 (C, H, W)
    image: np.ndarray  # uint8 (H, W, C): the image D looked at, or the image G made from z
    checkpoint: str | None = None  # set when read from a saved checkpoint, not live training


@dataclass(frozen=True)
class FiltersSnapshot:
    """The kernels nearest the pixels: D's first convolution and G's last transposed one."""

    step: int
    d_first: np.ndarray  # float32 (ndf, C, k, k): one k x k kernel per (output, input) channel
    g_last: np.ndarray  # float32 (ngf, C, k, k): ConvTranspose2d weight is (in, out, k, k)


@dataclass(frozen=True)
class StatusSnapshot:
    """The run's state changed: running, paused, stopped, finished or failed."""

    step: int
    state: str
    message: str = ""
    checkpoint: str | None = None  # the newest checkpoint on disk, if any
    problem: str = ""  # why it failed or paused by itself: "diverged" | "write" | ""


@dataclass(frozen=True)
class AlertSnapshot:
    """The alerts showing changed: ``raised`` rose at ``step`` (None when one only cleared);
    ``active`` are the kinds showing now."""

    step: int
    raised: Alert | None
    active: tuple[str, ...] = ()
    checkpoint_before: int | None = None  # the step of the checkpoint kept from before it


Snapshot = (
    ScalarSnapshot
    | SampleGridSnapshot
    | RealBatchSnapshot
    | GeneratorWeightsSnapshot
    | FeatureMapSnapshot
    | FiltersSnapshot
    | StatusSnapshot
    | AlertSnapshot
)
