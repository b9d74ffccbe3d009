import math

import pytest
import torch
from torch import nn

from dcgan_studio.config import SUPPORTED_IMAGE_SIZES, ModelConfig
from dcgan_studio.core.architecture import (
    conv_output_size,
    conv_transpose_output_size,
    discriminator_plan,
    generator_plan,
    state_shapes,
)
from dcgan_studio.core.models import Discriminator, Generator


def _shapes_by_layer(network: nn.Module, x: torch.Tensor) -> dict[str, tuple]:
    shapes: dict[str, tuple] = {}
    handles = [
        module.register_forward_hook(
            lambda m, i, o, name=name: shapes.__setitem__(
                name, (tuple(i[0].shape[1:]), tuple(o.shape[1:]))
            )
        )
        for name, module in network.main.named_children()
    ]
    with torch.no_grad():
        network.eval()(x)
    for handle in handles:
        handle.remove()
    return shapes


@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_plan_matches_real_forward_passes(size, channels):
    cfg = ModelConfig(image_size=size, channels=channels, nz=10, ngf=4, ndf=4, d_dropout=0.2)
    g, d = Generator(cfg), Discriminator(cfg)
    g_shapes = _shapes_by_layer(g, torch.randn(2, 10, 1, 1))
    d_shapes = _shapes_by_layer(d, torch.randn(2, channels, size, size))
    for plan, shapes, net in ((g.plan, g_shapes, g), (d.plan, d_shapes, d)):
        assert [layer.name for layer in plan.layers] == list(shapes)
        for layer in plan.layers:
            assert (layer.in_shape, layer.out_shape) == shapes[layer.name], layer.name
            real_params = sum(p.numel() for p in net.layer(layer.name).parameters())
            assert layer.params == real_params, layer.name
        assert plan.params == sum(p.numel() for p in net.parameters())
    assert g.plan.out_shape == (channels, size, size)
    assert d.plan.out_shape == (1, 1, 1)
    assert g(torch.randn(3, 10)).shape == (3, channels, size, size)
    assert d(torch.randn(3, channels, size, size)).shape == (3,)


@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
def test_formula_text_gives_the_real_output_size(size):
    cfg = ModelConfig(image_size=size)
    for layer in generator_plan(cfg).layers + discriminator_plan(cfg).layers:
        if not layer.is_convolution:
            continue
        text = layer.formula()
        expression, _, result = text.rpartition(" = ")
        numeric = expression.split(" = ")[-1].replace("floor", "math.floor")
        assert int(result) == layer.out_shape[1]
        assert eval(numeric, {"math": math}) == layer.out_shape[1], text


def test_start_maps_follow_the_guides():
    assert generator_plan(ModelConfig(image_size=28)).layers[0].out_shape[1:] == (7, 7)
    assert generator_plan(ModelConfig(image_size=32)).layers[0].out_shape[1:] == (4, 4)
    plan64 = generator_plan(ModelConfig(image_size=64, ngf=64))
    # the PyTorch example: nz -> 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 -> 3x64x64
    assert [layer.out_shape for layer in plan64.layers if layer.is_convolution] == [
        (512, 4, 4),
        (256, 8, 8),
        (128, 16, 16),
        (64, 32, 32),
        (1, 64, 64),
    ]
    assert conv_transpose_output_size(8, 4, 2, 1) == 16
    assert conv_output_size(16, 4, 2, 1) == 8
    assert generator_plan(ModelConfig(image_size=32)).layers[3].formula() == (
        "o = (i - 1)s - 2p + k = (4 - 1)*2 - 2*1 + 4 = 8"
    )


def test_networks_follow_the_dcgan_rules():
    cfg = ModelConfig(image_size=64, channels=3)
    g, d = Generator(cfg), Discriminator(cfg)
    g_layers, d_layers = list(g.main), list(d.main)
    for net in (g, d):
        kinds = {type(m) for m in net.modules()}
        assert not kinds & {nn.Linear, nn.MaxPool2d, nn.AvgPool2d}
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)
    assert all(
        isinstance(m, (nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU, nn.Tanh)) for m in g_layers
    )
    assert isinstance(d_layers[0], nn.Conv2d) and isinstance(d_layers[1], nn.LeakyReLU)
    assert all(m.negative_slope == 0.2 for m in d_layers if isinstance(m, nn.LeakyReLU))
    assert not any(isinstance(m, nn.ReLU) for m in d_layers)
    assert all(m.stride == (2, 2) for m in d_layers[:-1] if isinstance(m, nn.Conv2d))


def test_dcgan_initialisation_is_normal_0_002():
    torch.manual_seed(0)
    g = Generator(ModelConfig(image_size=64))
    weights = torch.cat(
        [m.weight.flatten() for m in g.modules() if isinstance(m, nn.ConvTranspose2d)]
    )
    assert abs(weights.mean().item()) < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.02)
    bn = torch.cat([m.weight for m in g.modules() if isinstance(m, nn.BatchNorm2d)])
    assert bn.mean().item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
def test_state_shapes_are_those_of_the_built_networks(size):
    """A checkpoint's header is checked against ``state_shapes`` before any network is built."""
    cfg = ModelConfig(image_size=size, channels=3, nz=7, ngf=4, ndf=5, d_dropout=0.2)
    for net, plan in (
        (Generator(cfg), generator_plan(cfg)),
        (Discriminator(cfg), discriminator_plan(cfg)),
    ):
        assert state_shapes(plan) == {k: tuple(v.shape) for k, v in net.state_dict().items()}
