"""The CPU's faster convolutions compute what PyTorch's own do, every way, forward and backward."""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest
import torch
from torch import nn

from dcgan_studio.config import PRESETS, RunConfig
from dcgan_studio.core import cpu_conv
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import ScalarSnapshot
from tests.conftest import tiny_config

# (transposed, c_in, c_out, size, kernel, stride, padding, output_padding): DCGAN's layers, and
# odd ones (3 input channels, a 7-pixel image, a 3x3 kernel the sub-pixel way cannot take)
GEOMETRIES = [
    (False, 32, 64, 8, 4, 2, 1, 0),
    (False, 1, 16, 32, 4, 2, 1, 0),
    (False, 64, 1, 4, 4, 1, 0, 0),  # D's last layer: the kernel covers the image
    (False, 3, 8, 7, 4, 2, 1, 0),
    (True, 100, 64, 1, 4, 1, 0, 0),  # G's first layer: one input pixel
    (True, 64, 32, 4, 4, 2, 1, 0),
    (True, 16, 3, 16, 4, 2, 1, 0),
    (True, 8, 4, 3, 4, 2, 1, 1),
    (True, 8, 4, 3, 3, 2, 1, 1),
    (True, 8, 4, 3, 4, 2, 0, 1),  # more output padding than padding: not sub-pixel either
    (True, 8, 4, 4, 4, 2, 1, 1),  # an odd output size: sub-pixel, with pixel_shuffle and a crop
    (True, 6, 5, 4, 6, 3, 3, 0),  # stride 3, phases in order
    (True, 6, 5, 4, 6, 3, 2, 0),  # stride 3 whose phases do not line up: pixel_shuffle
]


@pytest.fixture
def forced_way(monkeypatch):
    """Make every product take way ``n`` (or its last way, where it has fewer)."""

    def force(n: int) -> None:
        monkeypatch.setattr(
            cpu_conv, "_fastest", lambda key, ways, choices=None: ways[min(n, len(ways) - 1)]()
        )

    return force


def _layer(transposed, c_in, c_out, kernel, stride, padding, output_padding):
    if transposed:
        return nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, output_padding, bias=False)
    return nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False)


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).abs().max() / b.float().abs().max()).item()


@pytest.mark.parametrize(
    "geometry", GEOMETRIES, ids=lambda g: "T" * g[0] + "-".join(map(str, g[1:]))
)
@pytest.mark.parametrize("precision", ["fp32", "fp32-nhwc", "bf16-nhwc"])
@pytest.mark.parametrize("way", [0, 1, 2])
def test_every_way_matches_pytorch_forward_and_backward(geometry, precision, way, forced_way):
    transposed, c_in, c_out, size, *shape = geometry
    torch.manual_seed(0)
    layout = torch.channels_last if precision.endswith("nhwc") else torch.contiguous_format
    plain = _layer(transposed, c_in, c_out, *shape).to(memory_format=layout)
    fast = copy.deepcopy(plain)
    assert cpu_conv.use_fast_convolutions(fast) == 1
    assert type(fast) is not type(plain) and isinstance(fast, type(plain))
    x = torch.randn(6, c_in, size, size).contiguous(memory_format=layout).requires_grad_(True)
    x_fast = x.detach().clone().requires_grad_(True)
    forced_way(way)
    bf16 = precision.startswith("bf16")
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        y, y_fast = plain(x), fast(x_fast)
    assert y_fast.shape == y.shape and y_fast.dtype == y.dtype
    grad = torch.randn(y.shape)
    y.float().backward(grad)
    y_fast.float().backward(grad)
    tolerance = 2e-2 if bf16 else 1e-5
    assert _relative_error(y_fast, y) < tolerance
    assert _relative_error(x_fast.grad, x.grad) < tolerance
    assert _relative_error(fast.weight.grad, plain.weight.grad) < tolerance
    assert fast.weight.grad.dtype == torch.float32  # added to the fp32 weights, as autocast does
    if layout is torch.channels_last and size > 1:  # stored as PyTorch stores them
        assert y_fast.is_contiguous(memory_format=torch.channels_last)
        assert x_fast.grad.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_dcgan_transposed_layers_shuffle_by_one_strided_copy(layout, monkeypatch):
    """k 4, s 2, p 1 (and G's first layer) need no pixel_shuffle: the phases line up."""
    monkeypatch.setattr(
        cpu_conv.F, "pixel_shuffle", lambda *a: pytest.fail("pixel_shuffle on a DCGAN layer")
    )
    torch.manual_seed(0)
    for c_in, c_out, size, kernel, stride, padding in (
        (16, 8, 4, 4, 2, 1),
        (8, 1, 8, 4, 2, 1),
        (20, 16, 1, 4, 1, 0),
    ):
        x = torch.randn(3, c_in, size, size).contiguous(memory_format=layout)
        weight = torch.randn(c_in, c_out, kernel, kernel).contiguous(memory_format=layout)
        got = cpu_conv.conv_transpose_subpixel(x, weight, stride, padding, 0, layout)
        expected = nn.functional.conv_transpose2d(x, weight, None, stride, padding)
        assert got.shape == expected.shape and got.is_contiguous(memory_format=layout)
        assert _relative_error(got, expected) < 1e-5


def test_the_first_call_times_the_ways_and_later_calls_reuse_the_choice(monkeypatch):
    monkeypatch.setattr(cpu_conv, "_chosen", {})
    x = torch.randn(4, 8, 8, 8, requires_grad=True)
    weight = torch.randn(16, 8, 4, 4, requires_grad=True)
    calls = []
    real_matmul = cpu_conv.weight_grad_matmul

    def counted(*args):
        calls.append(args[0].shape)
        return real_matmul(*args)

    monkeypatch.setattr(cpu_conv, "weight_grad_matmul", counted)
    g = cpu_conv.Geometry(4, 2, 1, 0, False)
    cpu_conv._Convolution.apply(x, weight, g).sum().backward()
    first = len(calls)
    assert first == 1 + cpu_conv.TRIALS  # an untimed call, then the timed ones
    chosen = [v for k, v in cpu_conv.chosen_ways().items() if k[0] == "weight_grad"]
    assert len(chosen) == 1 and chosen[0] in (0, 1)
    cpu_conv._Convolution.apply(x, weight, g).sum().backward()
    assert len(calls) == first + chosen[0]  # the matmul again only if it won


def test_deterministic_mode_always_takes_pytorchs_way(monkeypatch):
    monkeypatch.setattr(cpu_conv, "_chosen", {})
    monkeypatch.setattr(cpu_conv, "weight_grad_matmul", lambda *a: pytest.fail("timed a way"))
    torch.use_deterministic_algorithms(True)
    try:
        x = torch.randn(4, 8, 8, 8)
        weight = torch.randn(16, 8, 4, 4, requires_grad=True)
        geometry = cpu_conv.Geometry(4, 2, 1, 0, False)
        cpu_conv._Convolution.apply(x, weight, geometry).sum().backward()
    finally:
        torch.use_deterministic_algorithms(False)
    assert cpu_conv.chosen_ways() == {} and weight.grad is not None


def test_only_plain_dcgan_layers_are_turned():
    net = nn.Sequential(
        nn.Conv2d(3, 8, 4, 2, 1, bias=False),
        nn.Conv2d(8, 8, 3, 1, 1, bias=True),  # a bias
        nn.Conv2d(8, 8, 3, 1, 2, dilation=2, bias=False),  # dilated
        nn.Conv2d(8, 8, 3, 1, 1, groups=2, bias=False),  # grouped
        nn.Conv2d(8, 8, (3, 1), 1, (1, 0), bias=False),  # not square
        nn.ConvTranspose2d(8, 3, 4, 2, 1, bias=False),
    )
    assert cpu_conv.use_fast_convolutions(net) == 2
    assert [type(m).__name__ for m in net] == [
        "FastConv2d",
        "Conv2d",
        "Conv2d",
        "Conv2d",
        "Conv2d",
        "FastConvTranspose2d",
    ]


def test_the_dcgan_networks_keep_their_weights_and_state_dict_keys():
    cfg = RunConfig().with_values({"model.image_size": 32, "model.ngf": 8, "model.ndf": 8})
    for net in (Generator(cfg.model), Discriminator(cfg.model)):
        before = {k: v.clone() for k, v in net.state_dict().items()}
        assert cpu_conv.use_fast_convolutions(net) == 4
        after = net.state_dict()
        assert list(after) == list(before)
        assert all(torch.equal(after[k], before[k]) for k in before)


def test_the_engine_trains_through_them_on_the_cpu_in_both_precisions():
    for precision in ("fp32", "bf16"):
        trainer = Trainer(tiny_config(**{"runtime.precision": precision, "schedule.iterations": 8}))
        kinds = {type(m).__name__ for m in trainer.generator.modules()}
        kinds |= {type(m).__name__ for m in trainer.discriminator.modules()}
        assert {"FastConv2d", "FastConvTranspose2d"} <= kinds
        assert "Conv2d" not in kinds and "ConvTranspose2d" not in kinds
        scalars = [s for s in trainer.run() if isinstance(s, ScalarSnapshot)]
        assert len(scalars) == 8
        for s in scalars:
            assert np.isfinite([s.loss_d, s.loss_g, s.grad_norm_d, s.grad_norm_g]).all(), s
            assert 0 < s.d_x < 1 and 0 < s.d_g_z2 < 1


def test_the_fast_step_follows_pytorchs_step_on_the_quick_preset(forced_way):
    """Ten training iterations of the quick preset's networks, with PyTorch's convolutions and
    with the other ways forced, from the same seed: the same losses and weights, within fp32's
    rounding."""
    cfg = tiny_config(
        **{k: v for k, v in PRESETS["quick"].items() if k.startswith("optim.lr")},
        **{"model.image_size": 32, "schedule.iterations": 10},
    )
    plain = Trainer(cfg)
    for net in (plain.generator, plain.discriminator):  # back to PyTorch's own classes
        for module in net.modules():
            if isinstance(module, cpu_conv._FastConvolution):
                module.__class__ = nn.ConvTranspose2d if module.transposed else nn.Conv2d
    fast = Trainer(cfg)
    forced_way(1)
    for _ in range(10):
        plain.train_iteration()
        fast.train_iteration()
    assert abs(float(plain.gan.last["loss_d"]) - float(fast.gan.last["loss_d"])) < 1e-3
    assert abs(float(plain.gan.last["loss_g"]) - float(fast.gan.last["loss_g"])) < 1e-3
    for a, b in zip(plain.generator.parameters(), fast.generator.parameters()):
        assert torch.allclose(a, b, atol=1e-4)


# ---- the ways a run took: recorded, taken again (issue 19, defect 6) ---------------------------
def _no_timing(monkeypatch) -> None:
    monkeypatch.setattr(cpu_conv, "_chosen", {})
    monkeypatch.setattr(
        cpu_conv, "time", types.SimpleNamespace(perf_counter=lambda: pytest.fail("timed the ways"))
    )


def _train_one_layer(choices: cpu_conv.KernelChoices | None) -> None:
    """A strided convolution and a transposed one, forward and backward (every product)."""
    torch.manual_seed(0)
    for transposed, c_in, c_out in ((False, 8, 16), (True, 16, 8)):
        x = torch.randn(4, c_in, 8, 8, requires_grad=True)
        weight = torch.randn(
            *((c_in, c_out) if transposed else (c_out, c_in)), 4, 4, requires_grad=True
        )
        g = cpu_conv.Geometry(4, 2, 1, 0, transposed)
        cpu_conv._Convolution.apply(x, weight, g, choices).sum().backward()


def test_a_deterministic_run_chooses_by_its_rule_and_never_times(monkeypatch):
    _no_timing(monkeypatch)
    first, second = (
        cpu_conv.KernelChoices(deterministic=True),
        cpu_conv.KernelChoices(deterministic=True),
    )
    _train_one_layer(first)
    _train_one_layer(second)
    products = {key[0] for key in first.ways}
    assert products == {"conv_transpose", "weight_grad"} and first.ways == second.ways
    assert all(way == cpu_conv.rule_way(key, 2) for key, way in first.ways.items())  # 2 ways
    assert cpu_conv.chosen_ways() == {}  # nothing timed for the process either


@pytest.mark.parametrize("deterministic", [True, False])
def test_a_recorded_choice_is_taken_again_not_timed_nor_ruled(monkeypatch, tmp_path, deterministic):
    """What a checkpoint holds (``state_dict``, read back with ``weights_only``) is what the
    resumed run takes, even where the rule, or this process's timing, would choose another."""
    made = cpu_conv.KernelChoices(deterministic=True)
    _train_one_layer(made)
    key = next(k for k in made.ways if k[0] == "weight_grad" and not k[4].transposed)
    made.ways[key] = 1 - made.ways[key]  # as the timing of the process that saved it chose
    torch.save({"cpu_kernels": made.state_dict()}, tmp_path / "state.pt")
    resumed = cpu_conv.KernelChoices(deterministic)
    resumed.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True)["cpu_kernels"])
    assert resumed.ways == made.ways

    _no_timing(monkeypatch)
    calls = []
    real = cpu_conv.weight_grad_matmul
    monkeypatch.setattr(cpu_conv, "weight_grad_matmul", lambda *a: calls.append(a) or real(*a))
    _train_one_layer(resumed)
    # the matrix product exactly where it was recorded
    assert len(calls) == sum(way for k, way in made.ways.items() if k[0] == "weight_grad") > 0
    assert resumed.ways == made.ways


def test_a_resumed_trainer_takes_the_kernels_and_threads_its_checkpoint_recorded(tmp_path):
    """The thread count splits oneDNN's sums: a deterministic run resumed with another count
    goes back to the run's own (a timed one keeps the process's)."""
    if torch.get_num_threads() < 2:
        pytest.skip("one CPU thread: no other count to come back from")
    threads = torch.get_num_threads()
    cfg = tiny_config(**{"schedule.iterations": 4, "schedule.checkpoint_every": 2})
    try:
        torch.set_num_threads(1)
        trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
        list(trainer.run())
        recorded = open_checkpoint(tmp_path / "run").training_state()
        assert recorded["threads"] == 1 and recorded["cpu_kernels"] == trainer.kernels.state_dict()
        torch.set_num_threads(threads)
        longer = cfg.with_values({"schedule.iterations": 6})
        resumed = Trainer(
            longer,
            RunDirectory.open(tmp_path / "run"),
            resume_from=open_checkpoint(tmp_path / "run"),
        )
        assert resumed.kernels.ways == trainer.kernels.ways and resumed.threads == 1
        seen = []
        for _snap in resumed.run():  # trains with the run's count, and only while it trains
            seen.append(torch.get_num_threads())
        assert set(seen) == {1} and torch.get_num_threads() == threads
        timed = Trainer(
            longer.with_values({"runtime.deterministic": False}),
            RunDirectory.open(tmp_path / "run"),
            resume_from=open_checkpoint(tmp_path / "run"),
        )
        assert timed.kernels.ways == trainer.kernels.ways and timed.threads is None
    finally:
        torch.set_num_threads(threads)
