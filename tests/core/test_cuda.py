"""The engine on a CUDA GPU. CI has none, so these are skipped there (pytest says so); a task
with a lent GPU runs ``pytest tests/core/test_cuda.py`` on it through the device tool."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import ProbeRequest, SampleGridSnapshot, ScalarSnapshot
from tests.conftest import tiny_config

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.mark.parametrize("precision", ["fp32", "bf16", "auto"])
def test_a_colour_run_on_the_gpu_trains_snapshots_and_resumes_on_the_cpu(tmp_path, precision):
    values = {
        "runtime.device": "cuda",
        "runtime.precision": precision,
        "data.dataset": "shapes",
        "model.channels": 3,
    }
    cfg = tiny_config(**values)
    trainer = Trainer(cfg, RunDirectory.create(tmp_path / "run", cfg))
    assert trainer.device.type == "cuda" and torch.backends.cudnn.benchmark
    assert all(p.is_cuda for p in trainer.generator.parameters())
    assert trainer.images.is_cuda  # the data set lives on the GPU, decoded once
    if precision != "fp32":
        assert trainer.precision.name == "bf16" and trainer.precision.channels_last
    snaps = list(trainer.run())
    scalars = [s for s in snaps if isinstance(s, ScalarSnapshot)]
    assert [s.step for s in scalars] == [1, 2, 3, 4, 5, 6]
    for s in scalars:
        assert np.isfinite([s.loss_d, s.loss_g, s.grad_norm_d, s.grad_norm_g]).all(), s
        assert 0 < s.d_x < 1 and 0 < s.d_g_z1 < 1
    grid = [s for s in snaps if isinstance(s, SampleGridSnapshot)][-1]
    assert grid.images.shape == (4, 16, 16, 3) and grid.images.dtype == np.uint8
    assert grid.images.std() > 0  # not a blank grid
    maps = trainer.feature_maps(ProbeRequest("g", "relu1", "fake", 0))
    assert isinstance(maps.activations, np.ndarray) and np.isfinite(maps.activations).all()

    checkpoint = open_checkpoint(tmp_path / "run")  # written on the GPU, read on the CPU
    on_cpu = Trainer(
        tiny_config(
            **{
                **values,
                "runtime.device": "cpu",
                "runtime.precision": "fp32",
                "schedule.iterations": 8,
            }
        ),
        resume_from=checkpoint,
    )
    assert on_cpu.step == 6
    for name, value in trainer.generator.state_dict().items():
        torch.testing.assert_close(on_cpu.generator.state_dict()[name], value.cpu(), msg=name)
    list(on_cpu.run())
    assert on_cpu.step == 8


@pytest.mark.parametrize("precision", ["fp32", "auto"])
def test_steps_between_logged_ones_never_wait_for_the_gpu(precision):
    """Between logged steps the CPU only queues work: any device sync (a pageable copy, an
    ``.item()``) would make it wait for the GPU every step: torch's sync debug mode raises."""
    cfg = tiny_config(
        **{
            "runtime.device": "cuda",
            "runtime.precision": precision,
            "data.dataset": "shapes",
            "model.channels": 3,
            "schedule.log_every": 1000,
        }
    )
    trainer = Trainer(cfg)
    trainer.train_iteration()  # cuDNN's autotuner and the first allocations may sync
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(4):
            trainer.train_iteration()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert trainer.step == 5 and not trainer.diverged()
