import os
import shutil

import pytest
import torch

from dcgan_studio.core import checkpoint_files
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import (
    RunDirectory,
    durable_write_bytes,
    open_checkpoint,
    read_weights_only,
)
from dcgan_studio.errors import CheckpointError, RunDirectoryError
from tests.conftest import tiny_config


def _train(path, **values):
    cfg = tiny_config(**values)
    trainer = Trainer(cfg, RunDirectory.create(path, cfg))
    snaps = list(trainer.run())
    assert snaps[-1].state == "finished"
    return trainer


def _leftovers(folder):
    return [p for p in folder.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


def test_checkpoint_round_trip(tmp_path):
    trainer = _train(tmp_path / "run")
    checkpoint = open_checkpoint(tmp_path / "run")
    assert checkpoint.step == 6 and checkpoint.config == trainer.config
    for name, tensor in trainer.generator.state_dict().items():
        assert torch.equal(checkpoint.generator_state()[name], tensor)
    for name, tensor in trainer.discriminator.state_dict().items():
        assert torch.equal(checkpoint.discriminator_state()[name], tensor)
    state = checkpoint.training_state()
    assert state["step"] == 6 and torch.equal(state["fixed_noise"], trainer.fixed_noise)
    # the same checkpoint, named three ways
    folder = tmp_path / "run" / "checkpoints" / "step-0000006"
    assert open_checkpoint(folder).path == folder
    assert open_checkpoint(folder / "generator.safetensors").step == 6
    assert not _leftovers(tmp_path)


def test_resumed_run_continues_exactly(tmp_path):
    values = {
        "schedule.iterations": 8,
        "model.d_dropout": 0.3,
        "optim.d_steps": 2,
        "schedule.checkpoint_every": 100,
    }
    straight = _train(tmp_path / "straight", **values)
    half = _train(tmp_path / "resumed", **{**values, "schedule.iterations": 4})
    assert half.step == 4
    run = RunDirectory.open(tmp_path / "resumed")
    checkpoint = open_checkpoint(run.root)
    resumed = Trainer(tiny_config(**values), run, resume_from=checkpoint)
    assert resumed.step == 4
    assert list(resumed.run())[-1].state == "finished"

    def losses(path):
        return [
            (r["step"], r["loss_d"], r["loss_g"], r["d_x"], r["d_g_z1"], r["d_g_z2"])
            for r in RunDirectory(path).read_metrics()
        ]

    assert losses(tmp_path / "straight") == losses(tmp_path / "resumed")
    assert [r[0] for r in losses(tmp_path / "resumed")] == list(range(1, 9))
    for a, b in zip(straight.generator.parameters(), resumed.generator.parameters()):
        assert torch.equal(a, b)


def test_resume_drops_metrics_logged_after_the_checkpoint(tmp_path):
    _train(tmp_path / "run", **{"schedule.checkpoint_every": 2, "schedule.iterations": 5})
    run = RunDirectory(tmp_path / "run")
    shutil.rmtree(run.checkpoint_path(5))  # as if the run died after its checkpoint at 4
    run.truncate_metrics_after(open_checkpoint(run.root).step)
    assert [r["step"] for r in run.read_metrics()] == [1, 2, 3, 4]


def test_a_failing_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    trainer = _train(tmp_path / "run")
    before = open_checkpoint(tmp_path / "run")
    real_write = checkpoint_files.durable_write_bytes

    def disk_full_on_discriminator(path, data):
        if path.name == "discriminator.safetensors":
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(checkpoint_files, "durable_write_bytes", disk_full_on_discriminator)
    trainer.train_iteration()
    with pytest.raises(RunDirectoryError, match="No space left on device.*step-0000006 is intact"):
        trainer.save_checkpoint()
    assert trainer.run_dir.checkpoint_steps() == [3, 6]
    after = open_checkpoint(tmp_path / "run")
    assert after.step == before.step == 6
    assert after.discriminator_state().keys() == before.discriminator_state().keys()
    assert after.training_state()["step"] == 6
    assert not _leftovers(tmp_path)


def test_a_failing_file_write_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "config.json"
    durable_write_bytes(target, b"old")

    def broken_replace(src, dst):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        durable_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


class _RunsCode:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('the pickle ran code')",))


def test_a_pickle_that_runs_code_is_refused_and_never_runs(tmp_path):
    _train(tmp_path / "run")
    marker = tmp_path / "pwned"
    state_file = tmp_path / "run" / "checkpoints" / "step-0000006" / "training_state.pt"
    torch.save({"step": 6, "payload": _RunsCode(marker)}, state_file)
    with pytest.raises(CheckpointError, match="refused to load .*could run code"):
        read_weights_only(state_file)
    run = RunDirectory.open(tmp_path / "run")
    with pytest.raises(CheckpointError, match="refused"):
        Trainer(tiny_config(), run, resume_from=open_checkpoint(run.root))
    assert not marker.exists()


def test_damaged_and_foreign_files_are_named(tmp_path):
    _train(tmp_path / "run")
    folder = tmp_path / "run" / "checkpoints" / "step-0000006"
    g = folder / "generator.safetensors"
    g.write_bytes(g.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="generator.safetensors"):
        open_checkpoint(folder).generator_state()
    other = tmp_path / "other.safetensors"
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not written by DCGAN Studio"):
        open_checkpoint(other)
    (folder / "training_state.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="training_state.pt"):
        read_weights_only(folder / "training_state.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        open_checkpoint(tmp_path / "nowhere")


def test_a_checkpoint_of_other_networks_is_refused(tmp_path):
    _train(tmp_path / "run")
    run = RunDirectory.open(tmp_path / "run")
    with pytest.raises(CheckpointError, match="does not match this run's networks"):
        Trainer(tiny_config(**{"model.ngf": 16}), run, resume_from=open_checkpoint(run.root))


def test_a_folder_that_holds_a_run_is_not_overwritten(tmp_path):
    _train(tmp_path / "run")
    with pytest.raises(RunDirectoryError, match="already holds a run: continue it with --resume"):
        RunDirectory.create(tmp_path / "run", tiny_config())
    with pytest.raises(RunDirectoryError, match="not a DCGAN Studio run"):
        RunDirectory.open(tmp_path)
