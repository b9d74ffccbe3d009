"""Looking inside the networks: shapes of every layer for every size; looking changes nothing."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
import torch

from dcgan_studio.config import SUPPORTED_IMAGE_SIZES, ModelConfig
from dcgan_studio.core import probes
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import (
    FeatureMapSnapshot,
    FiltersSnapshot,
    ProbeRequest,
    ScalarSnapshot,
    StatusSnapshot,
)
from tests.conftest import run_paused, tiny_config


@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
@pytest.mark.parametrize("channels", [1, 3])
def test_every_layer_of_both_networks_captures_the_plans_shape(size, channels):
    cfg = ModelConfig(image_size=size, channels=channels, nz=16, ngf=4, ndf=4, d_dropout=0.3)
    torch.manual_seed(0)
    g, d = Generator(cfg), Discriminator(cfg)
    noise = torch.randn(3, cfg.nz, 1, 1)
    real = torch.rand(2, channels, size, size) * 2 - 1
    for network, plan in (("g", g.plan), ("d", d.plan)):
        sources = ("fake", "real") if network == "d" else ("fake",)
        for spec, source in itertools.product(plan.layers, sources):
            snap = probes.feature_maps(
                7, ProbeRequest(network, spec.name, source, 1), g, d, noise, real
            )
            assert snap.activations.shape == spec.out_shape, (network, spec.name)
            assert snap.layer_kind == spec.kind
            assert snap.image.shape == (size, size, channels) and snap.image.dtype == np.uint8
            assert snap.step == 7 and not snap.activations.flags.writeable
    assert g.training and d.training  # the mode is put back


def test_a_capture_is_the_real_layer_output_for_that_sample():
    cfg = ModelConfig(image_size=32, nz=16, ngf=8, ndf=8)
    torch.manual_seed(1)
    g, d = Generator(cfg), Discriminator(cfg)
    noise = torch.randn(4, cfg.nz, 1, 1)
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    g.eval()
    d.eval()
    with torch.no_grad():
        after_bn2 = g.main[:5](noise[2:3])[0]  # convT1 bn1 relu1 convT2 bn2
        relu2 = torch.relu(after_bn2)
        d_conv1 = d.main[:1](real[3:4])[0]
        fake_image = g(noise[2:3])
        d_bn2_on_fake = d.main[:4](fake_image)[0]  # conv1 lrelu1 conv2 bn2
    g.train()
    d.train()
    bn2 = probes.feature_maps(0, ProbeRequest("g", "bn2", "fake", 2), g, d, noise, real)
    np.testing.assert_allclose(bn2.activations, after_bn2.numpy(), atol=1e-6)  # not relu'd
    relu = probes.feature_maps(0, ProbeRequest("g", "relu2", "fake", 2), g, d, noise, real)
    np.testing.assert_allclose(relu.activations, relu2.numpy(), atol=1e-6)
    assert (relu.activations == 0).mean() > 0.1  # ReLU zeros are there to be seen
    conv = probes.feature_maps(0, ProbeRequest("d", "conv1", "real", 3), g, d, noise, real)
    np.testing.assert_allclose(conv.activations, d_conv1.numpy(), atol=1e-6)
    bn = probes.feature_maps(0, ProbeRequest("d", "bn2", "fake", 2), g, d, noise, real)
    np.testing.assert_allclose(bn.activations, d_bn2_on_fake.numpy(), atol=1e-5)


def test_an_unknown_layer_is_named_with_the_layers_there_are():
    g = Generator(ModelConfig(image_size=16, nz=8, ngf=4))
    with pytest.raises(ValueError, match="generator has no layer 'conv9'; its layers are convT1"):
        probes.layer_spec(g, "conv9")


def _losses_and_state(probe_requests):
    cfg = tiny_config(**{"schedule.iterations": 12, "model.d_dropout": 0.3})
    queue = CommandQueue()
    trainer = Trainer(cfg, commands=queue)
    trainer.probe_interval = 0.0  # capture after every iteration: the most it can ever look
    cycle = itertools.cycle(probe_requests) if probe_requests else None
    losses, maps = [], 0
    for snap in trainer.run():
        if isinstance(snap, ScalarSnapshot):
            losses.append((snap.loss_d, snap.loss_g, snap.d_x, snap.d_g_z1, snap.d_g_z2))
            if cycle is not None:
                queue.probe(next(cycle))
        maps += isinstance(snap, FeatureMapSnapshot)
    state = {
        **{f"g.{k}": v for k, v in trainer.generator.state_dict().items()},
        **{f"d.{k}": v for k, v in trainer.discriminator.state_dict().items()},
    }
    return losses, state, maps


def test_looking_changes_neither_the_losses_nor_batchnorm_statistics():
    requests = [
        ProbeRequest("g", "bn1"),
        ProbeRequest("d", "bn2", "real", 1),
        ProbeRequest("d", "dropout1", "fake", 3),
        ProbeRequest("g", "tanh", "fake", 2),
    ]
    plain_losses, plain_state, none = _losses_and_state([])
    looked_losses, looked_state, maps = _losses_and_state(requests)
    assert none == 0 and maps >= 12
    assert looked_losses == plain_losses  # bit for bit, on the CPU
    assert plain_state.keys() == looked_state.keys()
    assert any("running_mean" in k for k in plain_state)
    for key in plain_state:
        assert torch.equal(plain_state[key], looked_state[key]), key


def test_the_engine_answers_a_probe_at_once_even_when_paused_and_stops_on_none():
    trainer = Trainer(tiny_config(**{"schedule.iterations": 1000}))

    def send(queue: CommandQueue) -> None:
        queue.probe(ProbeRequest("d", "lrelu1", "real", 2))
        queue.probe(ProbeRequest("d", "convT1"))  # G's layer name asked of D
        queue.probe(None)
        queue.step()
        queue.stop()

    seen = run_paused(trainer, send)
    maps = [s for s in seen if isinstance(s, FeatureMapSnapshot)]
    assert len(maps) == 1 and maps[0].step == 0  # answered while paused; none after None
    assert maps[0].request == ProbeRequest("d", "lrelu1", "real", 2)
    assert maps[0].activations.shape == (8, 8, 8)
    assert any(
        "ignored feature-map request: discriminator has no layer 'convT1'" in s.message
        for s in seen
        if isinstance(s, StatusSnapshot)
    )
    assert trainer.step == 1 and trainer.probe is None


def test_per_layer_gradient_norms_add_up_and_reach_the_metrics_file(tmp_path):
    cfg = tiny_config()
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    scalars = [s for s in trainer.run() if isinstance(s, ScalarSnapshot)]
    last = scalars[-1]
    g_layers = [s.name for s in trainer.generator.plan.layers if s.params]
    d_layers = [s.name for s in trainer.discriminator.plan.layers if s.params]
    assert [k for k in last.layer_grad_norms if k.startswith("g.")] == [f"g.{n}" for n in g_layers]
    assert [k for k in last.layer_grad_norms if k.startswith("d.")] == [f"d.{n}" for n in d_layers]
    for network, total in (("g", last.grad_norm_g), ("d", last.grad_norm_d)):
        parts = [v for k, v in last.layer_grad_norms.items() if k.startswith(network + ".")]
        assert all(v > 0 and math.isfinite(v) for v in parts)
        assert math.isclose(math.sqrt(sum(v * v for v in parts)), total, rel_tol=1e-5)
    record = json.loads((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["grad.g.convT1"] == last.layer_grad_norms["g.convT1"]
    assert record["grad.d.conv1"] == last.layer_grad_norms["d.conv1"]


def test_filters_are_ds_first_and_gs_last_kernels_published_with_each_grid():
    cfg = tiny_config(**{"model.channels": 3})
    trainer = Trainer(cfg)
    snaps = [s for s in trainer.run() if isinstance(s, FiltersSnapshot)]
    assert [s.step for s in snaps] == [0, 3, 6]
    last = snaps[-1]
    assert last.d_first.shape == (8, 3, 4, 4) and last.g_last.shape == (8, 3, 4, 4)
    np.testing.assert_array_equal(
        last.d_first, trainer.discriminator.main.conv1.weight.detach().numpy()
    )
    np.testing.assert_array_equal(
        last.g_last, trainer.generator.main.convT3.weight.detach().numpy()
    )
    assert not np.array_equal(snaps[0].d_first, last.d_first)  # live: they change with training


def test_a_checkpoint_shows_the_same_feature_maps_as_the_live_run_at_that_step(tmp_path):
    cfg = tiny_config()
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    list(trainer.run())  # 6 iterations, the last checkpoint at step 6
    checkpoint = open_checkpoint(tmp_path / "run")
    assert checkpoint.step == trainer.step == 6
    looker = probes.CheckpointProbe(checkpoint)
    for request in (
        ProbeRequest("g", "relu2", "fake", 3),
        ProbeRequest("d", "lrelu1", "real", 1),
        ProbeRequest("d", "conv3", "fake", 0),
    ):
        live, saved = trainer.feature_maps(request), looker.feature_maps(request)
        np.testing.assert_allclose(saved.activations, live.activations, atol=1e-6)
        np.testing.assert_array_equal(saved.image, live.image)
        assert saved.step == 6 and saved.checkpoint == str(checkpoint.path)
    saved_filters, live_filters = looker.filters(), trainer.filters()
    np.testing.assert_array_equal(saved_filters.d_first, live_filters.d_first)
    np.testing.assert_array_equal(saved_filters.g_last, live_filters.g_last)
