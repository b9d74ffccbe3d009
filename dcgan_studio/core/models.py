"""Generator and Discriminator built from the layer plan, as Radford et al. define a DCGAN.

Transposed convolutions in G, strided convolutions in D, no pooling and no fully connected hidden
layers; BatchNorm everywhere except G's output and D's input; ReLU in G with tanh on the output,
LeakyReLU(0.2) in D; weights drawn from N(0, 0.02), BatchNorm scales from N(1, 0.02). D returns
one logit per image: the loss applies the sigmoid (BCE with logits), which is stabler than a
sigmoid layer followed by BCE.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator

import torch
from torch import nn

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.architecture import (
    LayerSpec,
    NetworkPlan,
    discriminator_plan,
    generator_plan,
)


def _module(spec: LayerSpec) -> nn.Module:
    c_in, c_out = spec.in_shape[0], spec.out_shape[0]
    if spec.kind == "conv_transpose":
        return nn.ConvTranspose2d(
            c_in, c_out, spec.kernel, spec.stride, spec.padding, spec.output_padding, bias=False
        )
    if spec.kind == "conv":
        return nn.Conv2d(c_in, c_out, spec.kernel, spec.stride, spec.padding, bias=False)
    if spec.kind == "batchnorm":
        return nn.BatchNorm2d(c_out)
    if spec.kind == "relu":
        return nn.ReLU(inplace=True)
    if spec.kind == "leaky_relu":
        return nn.LeakyReLU(spec.negative_slope, inplace=True)
    if spec.kind == "tanh":
        return nn.Tanh()
    if spec.kind == "dropout":
        return nn.Dropout(spec.p)
    raise ValueError(f"unknown layer kind {spec.kind!r}")


def weights_init(module: nn.Module) -> None:
    """DCGAN init: convolutions N(0, 0.02); BatchNorm weight N(1, 0.02), bias 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class _PlannedNetwork(nn.Module):
    def __init__(self, plan: NetworkPlan) -> None:
        super().__init__()
        self.plan = plan
        self.main = nn.Sequential(OrderedDict((s.name, _module(s)) for s in plan.layers))
        self.apply(weights_init)

    def layer(self, name: str) -> nn.Module:
        return self.main.get_submodule(name)


class Generator(_PlannedNetwork):
    """z (B, nz) or (B, nz, 1, 1) -> images (B, C, S, S) in [-1, 1]."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(generator_plan(cfg))
        self.nz = cfg.nz

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]  # (B, nz, 1, 1)
        return self.main(z)


class Discriminator(_PlannedNetwork):
    """images (B, C, S, S) -> logits (B,); sigmoid(logit) is D's probability of "real"."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(discriminator_plan(cfg))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).reshape(-1)  # (B, 1, 1, 1) -> (B,)


@contextlib.contextmanager
def as_in_training(net: nn.Module) -> Iterator[nn.Module]:
    """``net`` as a training step runs it, for a look that changes nothing: each BatchNorm
    normalises the batch by the batch's own statistics and leaves its running statistics (and
    their count) as they were; dropout is off, so one image's score carries no noise.

    D's opinion of the sample grid is read this way. In eval mode D normalises by running
    statistics that mix its real and fake batches, which it never sees in a training step: its
    scores then disagreed with the D(x) and D(G(z)) curves by up to 0.5 on the built-in digits.
    """
    states = [(m, m.training) for m in net.modules()]
    norms = [
        (m, m.track_running_stats)
        for m in net.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    try:
        for m, _ in states:
            m.train(not isinstance(m, nn.Dropout))
        for m, _ in norms:
            m.track_running_stats = False  # with training on: batch statistics, nothing stored
        yield net
    finally:
        for m, track in norms:
            m.track_running_stats = track
        for m, training in states:
            m.training = training
