"""Looking inside G and D: one layer's output for one sample, per-layer gradient norms, filters.

Everything here only looks. A capture runs one sample through the network under ``no_grad`` in
``eval()`` mode (restoring the mode after), with a forward hook that copies the chosen layer's
output, so BatchNorm's running statistics, dropout masks and every random stream are left as they
were: training with the feature-map panel open gives the same losses as without it.

The same functions serve the live engine and ``CheckpointProbe``, which looks at a saved step.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import torch
from torch import nn

from dcgan_studio.core.architecture import LayerSpec
from dcgan_studio.core.checkpoint_files import Checkpoint
from dcgan_studio.core.data import ImageDataset, load_dataset, to_tanh_range
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.core.sampling import fixed_inputs, load_generator
from dcgan_studio.core.snapshots import (
    FeatureMapSnapshot,
    FiltersSnapshot,
    ProbeRequest,
    frozen_array,
    to_uint8_images,
)

Autocast = Callable[[], contextlib.AbstractContextManager]


def layer_spec(network: nn.Module, name: str) -> LayerSpec:
    """The plan entry of a layer of a planned network; ValueError naming the layers if absent."""
    for spec in network.plan.layers:
        if spec.name == name:
            return spec
    names = ", ".join(s.name for s in network.plan.layers)
    raise ValueError(f"{network.plan.name} has no layer {name!r}; its layers are {names}")


@torch.no_grad()
def look(
    network: nn.Module, x: torch.Tensor, autocast: Autocast = contextlib.nullcontext
) -> torch.Tensor:
    """The network's output in eval mode, its train/eval mode restored after."""
    was_training = network.training
    network.eval()
    try:
        with autocast():
            return network(x).float()
    finally:
        network.train(was_training)


def capture(
    network: nn.Module, layer: str, x: torch.Tensor, autocast: Autocast = contextlib.nullcontext
) -> tuple[torch.Tensor, torch.Tensor]:
    """(the layer's output for the first sample, float32 (C, H, W); the network's output)."""
    layer_spec(network, layer)
    captured: list[torch.Tensor] = []

    def hook(_module, _inputs, output: torch.Tensor) -> None:
        # a copy: the in-place ReLU after a BatchNorm would otherwise overwrite what we took
        captured.append(output[0].detach().float().clone())

    handle = network.layer(layer).register_forward_hook(hook)
    try:
        out = look(network, x, autocast)
    finally:
        handle.remove()
    return captured[0], out


def feature_maps(
    step: int,
    request: ProbeRequest,
    generator: Generator,
    discriminator: Discriminator,
    fixed_noise: torch.Tensor,
    real: torch.Tensor,
    autocast: Autocast = contextlib.nullcontext,
    memory_format=torch.contiguous_format,
    checkpoint: str | None = None,
) -> FeatureMapSnapshot:
    """Capture ``request`` for the run's fixed noise (N, nz, 1, 1) and fixed real batch
    (M, C, S, S) in [-1, 1]. An index past the end shows the last sample."""
    device = next(generator.parameters()).device
    pool = real if request.source == "real" else fixed_noise
    i = min(request.index, len(pool) - 1)
    sample = pool[i : i + 1].to(device)  # (1, nz, 1, 1) or (1, C, S, S)
    if request.network == "g":
        kind = layer_spec(generator, request.layer).kind
        activations, image = capture(generator, request.layer, sample, autocast)
    else:
        kind = layer_spec(discriminator, request.layer).kind
        image = sample if request.source == "real" else look(generator, sample, autocast)
        activations, _ = capture(
            discriminator, request.layer, image.contiguous(memory_format=memory_format), autocast
        )
    return FeatureMapSnapshot(
        step, request, kind, frozen_array(activations), to_uint8_images(image)[0], checkpoint
    )


def filters(step: int, generator: Generator, discriminator: Discriminator) -> FiltersSnapshot:
    """D's first convolution (ndf, C, k, k) and G's last transposed one (ngf, C, k, k)."""
    first = discriminator.layer(discriminator.plan.layers[0].name).weight
    last = next(s for s in reversed(generator.plan.layers) if s.kind == "conv_transpose")
    return FiltersSnapshot(
        step, frozen_array(first), frozen_array(generator.layer(last.name).weight)
    )


def gradient_norms(network: nn.Module, prefix: str) -> tuple[float, dict[str, float]]:
    """The L2 norm of all of a network's gradients, and per layer ("g.convT1" -> norm); one
    device sync for all of them."""
    layers, grads = [], []
    for name, p in network.named_parameters():
        if p.grad is not None:
            layers.append(name.split(".")[1])  # "main.convT1.weight" -> "convT1"
            grads.append(p.grad)
    if not grads:
        return math.nan, {}
    squares = torch.stack(torch._foreach_norm(grads)).float().square().tolist()
    per_layer: dict[str, float] = {}
    for layer, square in zip(layers, squares):
        per_layer[f"{prefix}.{layer}"] = per_layer.get(f"{prefix}.{layer}", 0.0) + square
    return math.sqrt(sum(squares)), {k: math.sqrt(v) for k, v in per_layer.items()}


class CheckpointProbe:
    """G and D of one saved checkpoint on the CPU with the run's fixed inputs: the feature maps
    and filters of a past step, without training. Build it off the GUI thread (it reads files)."""

    def __init__(self, checkpoint: Checkpoint, dataset: ImageDataset | None = None) -> None:
        config = checkpoint.config
        self.checkpoint = checkpoint
        self.step = checkpoint.step
        device = torch.device("cpu")
        checkpoint.check_networks(
            config.model, "the networks its own config describes", "the checkpoint is damaged"
        )  # before building either
        self.generator = load_generator(checkpoint, device)
        self.discriminator = Discriminator(config.model)
        checkpoint.load_into(
            "the discriminator its own config describes",
            "the checkpoint is damaged",
            discriminator=self.discriminator,
        )
        self.discriminator.eval()
        dataset = dataset if dataset is not None else load_dataset(config)
        self.dataset = dataset  # for the run's next checkpoint: a folder is not read again
        noise, real_indices = fixed_inputs(config, len(dataset))
        state = checkpoint.training_state()
        saved = state.get("fixed_noise")  # the run's own, unless damaged
        ok = isinstance(saved, torch.Tensor) and saved.shape == noise.shape
        self.fixed_noise = saved.float() if ok else noise
        self.real = to_tanh_range(dataset.images[real_indices])  # (M, C, S, S)

    def feature_maps(self, request: ProbeRequest) -> FeatureMapSnapshot:
        return feature_maps(
            self.step,
            request,
            self.generator,
            self.discriminator,
            self.fixed_noise,
            self.real,
            checkpoint=str(self.checkpoint.path),
        )

    def filters(self) -> FiltersSnapshot:
        return filters(self.step, self.generator, self.discriminator)
