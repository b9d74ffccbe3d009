"""Faster convolutions for training on the CPU: the same arithmetic through faster kernels.

For some of DCGAN's products oneDNN's CPU kernels are slow: above all the weight gradient of its
strided 4x4 convolutions, and a transposed convolution with one input or output channel. A
training step computes three products per layer (the output, the input gradient, the weight
gradient), and for each there is a second way in core.cpu_kernels.

Which way is faster depends on the shape, the precision and the CPU, so the first call with a new
shape times each way, alternating, and keeps the fastest for the process, as
``torch.backends.cudnn.benchmark`` does on a GPU. The ways round differently (each is exact only
to the last bit), and a GAN's trajectory follows the last bit: two processes whose timings chose
differently train different runs. So a network can be given ``KernelChoices`` of its own: the
ways it took, by key, which a checkpoint records and a resumed run takes again; and in a
deterministic run a fixed rule of the shapes and the precision (``rule_way``) chooses, with no
timing. With ``torch.use_deterministic_algorithms(True)``, oneDNN's way is taken wherever nothing
is recorded.

``use_fast_convolutions(net)`` turns a network's convolutions into ``FastConv2d`` /
``FastConvTranspose2d``: subclasses with the same weights and ``state_dict``, whose forward on a
CPU tensor goes through one autograd Function. Only the engine's training copies of G and D get
them; every other use of the networks keeps PyTorch's own modules.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dcgan_studio.core.cpu_kernels import (
    conv_transpose_one_pixel,
    conv_transpose_subpixel,
    conv_whole_image,
    layout_of,
    subpixel_fits,
    weight_grad_matmul,
)

TRIALS = 4  # timed calls of each way, after one untimed; alternating; the quickest call decides
_chosen: dict[tuple, int] = {}  # (product, shapes, dtype, layouts, geometry, threads) -> way


@dataclass(frozen=True)
class Geometry:
    kernel: int
    stride: int
    padding: int
    output_padding: int  # transposed convolutions only
    transposed: bool


class KernelChoices:
    """The ways one training run's networks take, key -> way: what ``state_dict`` records in a
    checkpoint and ``load_state_dict`` puts back, so that a resumed run computes as before.

    ``deterministic``: a key met for the first time gets ``rule_way``'s way, never a timing's, so
    that every process with the same settings, CPU, thread count and torch computes the same
    bits. Otherwise it gets the process's timed choice (``_chosen``, timed once per process);
    either way oneDNN's under ``torch.use_deterministic_algorithms(True)``."""

    def __init__(self, deterministic: bool = False) -> None:
        self.deterministic = deterministic
        self.ways: dict[tuple, int] = {}

    def state_dict(self) -> list[list]:
        """Plain values (a checkpoint is read with ``weights_only``): one list per key."""
        return [
            [
                product,
                [list(s) for s in shapes],
                str(dtype).removeprefix("torch."),
                list(layouts),
                [g.kernel, g.stride, g.padding, g.output_padding, g.transposed],
                threads,
                way,
            ]
            for (product, shapes, dtype, layouts, g, threads), way in self.ways.items()
        ]

    def load_state_dict(self, entries: list[list]) -> None:
        ways = {}
        for product, shapes, dtype, layouts, geometry, threads, way in entries:
            if not isinstance(getattr(torch, str(dtype), None), torch.dtype):
                raise ValueError(f"a convolution kernel recorded for dtype {dtype!r}")
            if type(way) is not int or way < 0:
                raise ValueError(f"a convolution kernel recorded as way {way!r}")
            key = (
                str(product),
                tuple(tuple(int(n) for n in s) for s in shapes),
                getattr(torch, dtype),
                tuple(bool(v) for v in layouts),
                Geometry(*(int(v) for v in geometry[:4]), bool(geometry[4])),
                int(threads),
            )
            ways[key] = way
        self.ways = ways

    def recorded(self, key: tuple, count: int) -> int | None:
        """The way this run took for ``key`` before, if this version still has it."""
        way = self.ways.get(key)
        return way if way is not None and way < count else None


def rule_way(key: tuple, count: int) -> int:
    """The way a deterministic run takes for ``key``, without timing: a fixed rule of the shapes
    and the precision, the choice timing makes for DCGAN's layers on a CPU with native bf16:
    one matrix product where a side of the product is one pixel; sub-pixel for a transposed
    convolution with one input or output channel, oneDNN's for the others; and for a weight
    gradient, the matrix product in bf16 where both sides have several channels, else oneDNN's."""
    product, shapes, dtype, _, geometry, _ = key
    (_, c_a, h_a, w_a), (_, c_b, h_b, w_b) = shapes  # x and weight, or x and grad
    low = dtype != torch.float32
    if product == "conv":  # only asked where the kernel covers the image
        return min(1, count - 1)
    if product == "conv_transpose":
        if (h_a, w_a) == (1, 1) and geometry.padding == geometry.output_padding == 0:
            return count - 1  # the one-pixel matrix product, the last way where it fits
        fits = subpixel_fits(
            geometry.kernel, geometry.stride, geometry.padding, geometry.output_padding
        )
        return 1 if fits and min(c_a, c_b) == 1 else 0
    if (h_a, w_a) == (1, 1) or (h_b, w_b) == (1, 1):  # weight_grad: an outer product
        return min(1, count - 1)
    return min(1, count - 1) if low and min(c_a, c_b) > 1 else 0


def _fastest(
    key: tuple, ways: Sequence[Callable[[], torch.Tensor]], choices: KernelChoices | None = None
) -> torch.Tensor:
    """Run the way chosen for ``key``: the one ``choices`` recorded; else oneDNN's under
    ``torch.use_deterministic_algorithms``, the rule's in a deterministic run, or the process's
    timed one (the first time, time each way and remember the fastest). ``choices`` records it."""
    choice = None if choices is None else choices.recorded(key, len(ways))
    if choice is None:
        if torch.are_deterministic_algorithms_enabled():
            choice = 0
        elif choices is not None and choices.deterministic:
            choice = rule_way(key, len(ways))
        else:
            choice = _chosen.get(key)
        if choice is not None and choices is not None:
            choices.ways[key] = choice
    if choice is not None:
        return ways[choice]()
    results = [way() for way in ways]  # the first call builds oneDNN's kernels: not timed
    seconds = [math.inf] * len(ways)
    for _ in range(TRIALS):  # a shared machine's slow patches fall on both; the minimum is
        for i, way in enumerate(ways):  # what the kernel itself costs
            started = time.perf_counter()
            results[i] = way()
            seconds[i] = min(seconds[i], time.perf_counter() - started)
    choice = min(range(len(ways)), key=seconds.__getitem__)
    _chosen[key] = choice
    if choices is not None:
        choices.ways[key] = choice
    return results[choice]


def chosen_ways() -> dict[tuple, int]:
    """What the timing chose so far (for benchmarks and tests): key -> the index of the way,
    0 for oneDNN's kernel, 1 or 2 for a way of this module's own."""
    return dict(_chosen)


# ---- the three products, each by the fastest of its ways -----------------------------------------
def _key(product: str, *tensors: torch.Tensor, geometry: Geometry) -> tuple:
    return (
        product,
        tuple(tuple(t.shape) for t in tensors),
        tensors[0].dtype,
        tuple(layout_of(t) is torch.channels_last for t in tensors),
        geometry,
        torch.get_num_threads(),
    )


def conv_transpose(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: int,
    padding: int,
    output_padding: int,
    layout: torch.memory_format,
    choices: KernelChoices | None = None,
) -> torch.Tensor:
    """The transposed convolution, stored in ``layout`` whichever way computes it."""
    kernel = weight.shape[2]
    ways = [lambda: F.conv_transpose2d(x, weight, None, stride, padding, output_padding)]
    if subpixel_fits(kernel, stride, padding, output_padding):
        ways.append(
            lambda: conv_transpose_subpixel(x, weight, stride, padding, output_padding, layout)
        )
    if x.shape[2:] == (1, 1) and padding == output_padding == 0:
        ways.append(lambda: conv_transpose_one_pixel(x, weight))
    geometry = Geometry(kernel, stride, padding, output_padding, True)
    return _fastest(
        _key("conv_transpose", x, weight, geometry=geometry),
        [_stored(way, layout) for way in ways],
        choices,
    )


def conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    g: Geometry,
    layout: torch.memory_format,
    choices: KernelChoices | None = None,
) -> torch.Tensor:
    """The convolution: oneDNN's, or one matrix product where the kernel covers the image."""

    def onednn() -> torch.Tensor:
        return F.conv2d(x, weight, None, g.stride, g.padding)

    if g.padding or x.shape[2:] != (g.kernel, g.kernel):
        return onednn()
    return _fastest(
        _key("conv", x, weight, geometry=g),
        [_stored(onednn, layout), _stored(lambda: conv_whole_image(x, weight), layout)],
        choices,
    )


def _stored(
    way: Callable[[], torch.Tensor], layout: torch.memory_format
) -> Callable[[], torch.Tensor]:
    return lambda: way().contiguous(memory_format=layout)


def _weight_grad(
    x: torch.Tensor,
    grad: torch.Tensor,
    weight: torch.Tensor,
    g: Geometry,
    choices: KernelChoices | None = None,
) -> torch.Tensor:
    def onednn() -> torch.Tensor:
        return torch.ops.aten.convolution_backward(
            grad,
            x,
            weight,
            None,
            [g.stride] * 2,
            [g.padding] * 2,
            [1, 1],
            g.transposed,
            [g.output_padding] * 2,
            1,
            [False, True, False],
        )[1]

    # a transposed convolution's weight gradient is that of the convolution it transposes, with
    # the roles of its input and its output gradient swapped
    source, target = (grad, x) if g.transposed else (x, grad)
    layout = layout_of(weight)  # as the weight is stored: the gradient is added to it as it is
    return _fastest(
        _key("weight_grad", x, grad, geometry=g),
        [
            _stored(onednn, layout),
            _stored(
                lambda: weight_grad_matmul(source, target, g.kernel, g.stride, g.padding), layout
            ),
        ],
        choices,
    )


class _Convolution(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx,
        x: torch.Tensor,
        weight: torch.Tensor,
        g: Geometry,
        choices: KernelChoices | None = None,
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.geometry, ctx.choices = g, choices
        if g.transposed:
            return conv_transpose(
                x, weight, g.stride, g.padding, g.output_padding, layout_of(x, weight), choices
            )
        return conv(x, weight, g, layout_of(x, weight), choices)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight = ctx.saved_tensors
        g: Geometry = ctx.geometry
        choices: KernelChoices | None = ctx.choices
        layout = layout_of(x, weight)  # x's gradient is stored as x is
        grad = grad.contiguous(memory_format=layout)
        grad_x = grad_weight = None
        if ctx.needs_input_grad[0]:
            if g.transposed:  # the input gradient of a transposed convolution is a convolution
                grad_x = conv(
                    grad, weight, Geometry(g.kernel, g.stride, g.padding, 0, False), layout, choices
                )
            else:  # and that of a convolution is a transposed one, sized back to x
                natural = (grad.shape[2] - 1) * g.stride - 2 * g.padding + g.kernel
                grad_x = conv_transpose(
                    grad, weight, g.stride, g.padding, x.shape[2] - natural, layout, choices
                )
        if ctx.needs_input_grad[1]:
            grad_weight = _weight_grad(x, grad, weight, g, choices)
        return grad_x, grad_weight, None, None


class _FastConvolution:
    """The forward of both subclasses: on a CPU tensor, through ``_Convolution`` in the precision
    autocast asks for; anywhere else, PyTorch's own. ``kernel_choices``: the run's, or None for
    the process's timed ones."""

    kernel_choices: KernelChoices | None = None

    def _geometry(self) -> Geometry:
        return Geometry(
            self.kernel_size[0],
            self.stride[0],
            self.padding[0],
            self.output_padding[0],
            self.transposed,
        )

    def forward(self, x: torch.Tensor, *args) -> torch.Tensor:
        if x.device.type != "cpu" or args:
            return super().forward(x, *args)
        dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
        with torch.autocast("cpu", enabled=False):
            return _Convolution.apply(
                x.to(dtype), self.weight.to(dtype), self._geometry(), self.kernel_choices
            )


class FastConv2d(_FastConvolution, nn.Conv2d):
    pass


class FastConvTranspose2d(_FastConvolution, nn.ConvTranspose2d):
    pass


def _fits(module: nn.Module) -> bool:
    """Square, undilated, ungrouped, zero-padded and without bias: what DCGAN's layers are."""
    square = all(
        len(set(v)) == 1
        for v in (
            module.kernel_size,
            module.stride,
            module.padding,
            module.output_padding,
            module.dilation,
        )
    )
    return (
        square
        and module.dilation[0] == 1
        and module.groups == 1
        and module.bias is None
        and module.padding_mode == "zeros"
        and isinstance(module.padding, tuple)
    )


def use_fast_convolutions(net: nn.Module, choices: KernelChoices | None = None) -> int:
    """Turn ``net``'s plain convolutions into the fast subclasses, in place, taking the ways
    ``choices`` holds (None: the process's timed ones); returns how many."""
    turned = 0
    for module in net.modules():
        if type(module) is nn.Conv2d and _fits(module):
            module.__class__ = FastConv2d
        elif type(module) is nn.ConvTranspose2d and _fits(module):
            module.__class__ = FastConvTranspose2d
        else:
            continue
        module.kernel_choices = choices
        turned += 1
    return turned
