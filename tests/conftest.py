"""Shared fixtures: tiny CPU configs, and no test writes outside its tmp_path."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from dcgan_studio.config import RunConfig  # noqa: E402


def tiny_config(**values) -> RunConfig:
    """16x16, batch 8, narrow networks, fp32 on the CPU, deterministic (the CPU's kernels by a
    fixed rule, not timed: the same bits in every run): a step takes milliseconds."""
    base = {
        "model.image_size": 16,
        "model.ngf": 8,
        "model.ndf": 8,
        "model.nz": 16,
        "optim.batch_size": 8,
        "schedule.iterations": 6,
        "schedule.log_every": 1,
        "schedule.sample_every": 3,
        "schedule.checkpoint_every": 3,
        "schedule.keep_checkpoints": 0,
        "schedule.sample_count": 4,
        "runtime.device": "cpu",
        "runtime.precision": "fp32",
        "runtime.deterministic": True,
    }
    base.update(values)
    return RunConfig().with_values(base).validate()


@pytest.fixture(autouse=True)
def _log_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DCGAN_STUDIO_LOG_DIR", str(tmp_path_factory.mktemp("logs")))


def run_acting_at(trainer, step: int, act) -> list:
    """Every snapshot of ``trainer.run()``; when the scalars of ``step`` come out, ``act(trainer)``
    (under no_grad: it may write into the weights) as though something went wrong there."""
    import torch

    from dcgan_studio.core.snapshots import ScalarSnapshot

    snaps = []
    for snap in trainer.run():
        snaps.append(snap)
        if isinstance(snap, ScalarSnapshot) and snap.step == step:
            with torch.no_grad():
                act(trainer)
    return snaps


def run_paused(trainer, then) -> list:
    """Every snapshot of ``trainer.run()``, paused from the start; ``then(trainer.commands)``
    sends the test's commands once, when the run first says it is paused."""
    from dcgan_studio.core.snapshots import StatusSnapshot

    trainer.commands.pause()
    seen, sent = [], False
    for snap in trainer.run():
        seen.append(snap)
        if isinstance(snap, StatusSnapshot) and snap.state == "paused" and not sent:
            sent = True
            then(trainer.commands)
    return seen
