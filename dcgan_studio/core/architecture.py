"""The layer plan of G and D for an image size, and the size formulas of the guides.

Powers of two start from a 4x4 map as in the PyTorch DCGAN example (16, 32, 64, 128); 28 and 56
start from 7x7 as in the TensorFlow tutorial. G doubles the map with 4x4 transposed convolutions of
stride 2 and halves the channels; D mirrors it with strided convolutions (no pooling):

    conv            o = floor((i + 2p - k) / s) + 1
    transposed conv o = (i - 1)s - 2p + k + output_padding

The plan lists every module (convolutions, BatchNorm, activations, dropout) with its input and
output shape and parameter count; ``models`` builds the networks from it, so the plan and the real
shapes cannot drift apart (a test checks them against forward passes).
"""

from __future__ import annotations

from dataclasses import dataclass

from dcgan_studio.config import SUPPORTED_IMAGE_SIZES, ModelConfig
from dcgan_studio.errors import ConfigError

KERNEL = 4  # the 4x4, stride 2, padding 1 blocks of the DCGAN paper's reference code


def conv_output_size(i: int, k: int, s: int, p: int) -> int:
    """o = floor((i + 2p - k) / s) + 1"""
    return (i + 2 * p - k) // s + 1


def conv_transpose_output_size(i: int, k: int, s: int, p: int, output_padding: int = 0) -> int:
    """o = (i - 1)s - 2p + k + output_padding"""
    return (i - 1) * s - 2 * p + k + output_padding


@dataclass(frozen=True)
class LayerSpec:
    """One module of G or D; shapes are (channels, height, width) for one sample."""

    name: str  # unique within the network, also the nn.Sequential key ("conv1", "bn1", ...)
    kind: str  # conv | conv_transpose | batchnorm | relu | leaky_relu | tanh | dropout
    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: int = 0
    stride: int = 0
    padding: int = 0
    output_padding: int = 0
    params: int = 0  # trainable parameters (convolutions have no bias: BatchNorm follows)
    negative_slope: float = 0.0  # leaky_relu
    p: float = 0.0  # dropout probability

    @property
    def is_convolution(self) -> bool:
        return self.kind in ("conv", "conv_transpose")

    def formula(self) -> str:
        """The size formula with this layer's numbers in, e.g. ``(8 - 1)*2 - 2*1 + 4 = 16``."""
        i, o = self.in_shape[1], self.out_shape[1]
        k, s, p = self.kernel, self.stride, self.padding
        if self.kind == "conv":
            return f"o = floor((i + 2p - k)/s) + 1 = floor(({i} + 2*{p} - {k})/{s}) + 1 = {o}"
        if self.kind == "conv_transpose":
            extra = f" + {self.output_padding}" if self.output_padding else ""
            return f"o = (i - 1)s - 2p + k = ({i} - 1)*{s} - 2*{p} + {k}{extra} = {o}"
        return f"o = i = {o}"


@dataclass(frozen=True)
class NetworkPlan:
    name: str  # "generator" | "discriminator"
    layers: tuple[LayerSpec, ...]

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def in_shape(self) -> tuple[int, int, int]:
        return self.layers[0].in_shape

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return self.layers[-1].out_shape


def state_shapes(plan: NetworkPlan) -> dict[str, tuple[int, ...]]:
    """The ``state_dict`` a network built from ``plan`` has, name -> shape, without building it:
    a checkpoint's tensors are checked against it before any memory is spent on a network."""
    shapes: dict[str, tuple[int, ...]] = {}
    for s in plan.layers:
        c_in, c_out, k = s.in_shape[0], s.out_shape[0], s.kernel
        if s.kind == "conv_transpose":
            shapes[f"main.{s.name}.weight"] = (c_in, c_out, k, k)
        elif s.kind == "conv":
            shapes[f"main.{s.name}.weight"] = (c_out, c_in, k, k)
        elif s.kind == "batchnorm":
            for buffer in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"main.{s.name}.{buffer}"] = (c_out,)
            shapes[f"main.{s.name}.num_batches_tracked"] = ()
    return shapes


def base_size(image_size: int) -> int:
    """The smallest map: 4x4 for powers of two, 7x7 for 28 and 56."""
    if image_size not in SUPPORTED_IMAGE_SIZES:
        raise ConfigError(
            "model.image_size", image_size, "one of " + ", ".join(map(str, SUPPORTED_IMAGE_SIZES))
        )
    return 7 if image_size % 7 == 0 else 4


def upsampling_steps(image_size: int) -> int:
    """How many stride-2 doublings take the base map to the image size."""
    size, steps = base_size(image_size), 0
    while size < image_size:
        size, steps = size * 2, steps + 1
    return steps


def generator_plan(cfg: ModelConfig) -> NetworkPlan:
    n = upsampling_steps(cfg.image_size)
    base = base_size(cfg.image_size)
    layers: list[LayerSpec] = []
    shape = (cfg.nz, 1, 1)
    # z (nz, 1, 1) -> (ngf * 2^(n-1), base, base): a transposed conv with kernel = base
    for block in range(n + 1):
        first, last = block == 0, block == n
        out_c = cfg.channels if last else cfg.ngf * 2 ** (n - 1 - block)
        k, s, p = (base, 1, 0) if first else (KERNEL, 2, 1)
        size = conv_transpose_output_size(shape[1], k, s, p)
        out = (out_c, size, size)
        layers.append(
            LayerSpec(
                f"convT{block + 1}",
                "conv_transpose",
                shape,
                out,
                k,
                s,
                p,
                params=shape[0] * out_c * k * k,
            )
        )
        if last:
            layers.append(LayerSpec("tanh", "tanh", out, out))
        else:
            layers.append(LayerSpec(f"bn{block + 1}", "batchnorm", out, out, params=2 * out_c))
            layers.append(LayerSpec(f"relu{block + 1}", "relu", out, out))
        shape = out
    return NetworkPlan("generator", tuple(layers))


def discriminator_plan(cfg: ModelConfig) -> NetworkPlan:
    n = upsampling_steps(cfg.image_size)
    base = base_size(cfg.image_size)
    layers: list[LayerSpec] = []
    shape = (cfg.channels, cfg.image_size, cfg.image_size)
    # (C, S, S) -> (ndf, S/2, S/2) -> ... -> (ndf * 2^(n-1), base, base), then one logit
    for block in range(n):
        out_c = cfg.ndf * 2**block
        size = conv_output_size(shape[1], KERNEL, 2, 1)
        out = (out_c, size, size)
        layers.append(
            LayerSpec(
                f"conv{block + 1}",
                "conv",
                shape,
                out,
                KERNEL,
                2,
                1,
                params=shape[0] * out_c * KERNEL * KERNEL,
            )
        )
        if block > 0:  # no BatchNorm on D's input layer
            layers.append(LayerSpec(f"bn{block + 1}", "batchnorm", out, out, params=2 * out_c))
        layers.append(LayerSpec(f"lrelu{block + 1}", "leaky_relu", out, out, negative_slope=0.2))
        if cfg.d_dropout > 0:
            layers.append(LayerSpec(f"dropout{block + 1}", "dropout", out, out, p=cfg.d_dropout))
        shape = out
    size = conv_output_size(shape[1], base, 1, 0)
    layers.append(
        LayerSpec(
            f"conv{n + 1}",
            "conv",
            shape,
            (1, size, size),
            base,
            1,
            0,
            params=shape[0] * base * base,
        )
    )
    return NetworkPlan("discriminator", tuple(layers))
