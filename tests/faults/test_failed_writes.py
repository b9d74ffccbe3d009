"""Writes that fail: a full disk (a real tmpfs, where this machine lets a test mount one), a folder
of the run deleted, a file where a folder should be. The run says what and where, saves what it
trained, and a resume carries on; an interrupted save's leftovers are cleaned up."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.launch import resume_run
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import StatusSnapshot
from tests.conftest import tiny_config
from tests.test_cli import TINY, cli


def _can_mount() -> bool:
    if sys.platform != "linux" or os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/dcgan-mount-probe-{os.getpid()}")
    probe.mkdir(exist_ok=True)
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(probe)], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", str(probe)], check=True)
        return ok
    except OSError:
        return False
    finally:
        probe.rmdir()


needs_mount = pytest.mark.skipif(not _can_mount(), reason="mounting a tmpfs needs root on Linux")


@contextlib.contextmanager
def small_disk(path: Path, size: str):
    """A real file system of ``size`` ("48k") at ``path``: writes beyond it fail with ENOSPC."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error" in line]


@needs_mount
def test_a_full_disk_under_the_whole_run_ends_with_one_clear_line(tmp_path):
    # the reproduction: every sample saved, a checkpoint only every 100 steps
    with small_disk(tmp_path / "disk", "48k") as disk:
        result = cli(
            "train",
            *TINY,
            "--iterations",
            "60",
            "--sample-every",
            "1",
            "--checkpoint-every",
            "100",
            "--run-dir",
            disk / "r",
            "--no-progress",
        )
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        errors = _error_lines(result)
        assert len(errors) == 1 and errors[0].startswith("dcgan-studio: error: could not write")
        assert str(disk / "r") in errors[0] and "No space left on device" in errors[0]
        assert "Free space on the disk" in errors[0] and f"--resume {disk / 'r'}" in errors[0]
        run = RunDirectory(disk / "r")
        assert run.read_config().schedule.iterations == 60  # whole and readable
        steps = [r["step"] for r in run.read_metrics()]
        assert steps == list(range(1, len(steps) + 1))  # no line cut short
        assert not [p for p in (disk / "r").rglob(".*tmp-*")]  # no half-written file left


@needs_mount
def test_a_full_samples_folder_saves_a_checkpoint_and_a_resume_carries_on(tmp_path):
    run_root = tmp_path / "r"
    first = cli(
        "train",
        *TINY,
        "--iterations",
        "4",
        "--checkpoint-every",
        "100",
        "--run-dir",
        run_root,
        "--no-progress",
    )
    assert first.returncode == 0, first.stderr
    grids = {p.name: p.read_bytes() for p in (run_root / "samples").iterdir()}
    with small_disk(run_root / "samples", "8k"):  # grids now go to a full disk
        result = cli(
            "train",
            "--resume",
            run_root,
            "--iterations",
            "400",
            "--sample-every",
            "1",
            "--checkpoint-every",
            "1000",
            "--no-progress",
        )
        assert result.returncode == 1, result.stderr
        error = _error_lines(result)[-1]
        assert "could not write the sample grid" in error and "No space left" in error
        stopped_at = RunDirectory(run_root).checkpoint_steps()[-1]
        assert 4 < stopped_at < 400  # nothing trained is lost: a checkpoint of the step
        assert f"every iteration is kept in the checkpoint {run_root}" in error
    assert {p.name: p.read_bytes() for p in (run_root / "samples").iterdir()} == grids
    again = cli("train", "--resume", run_root, "--iterations", str(stopped_at + 3), "--no-progress")
    assert again.returncode == 0, again.stderr
    assert open_checkpoint(run_root).step == stopped_at + 3


def test_a_file_where_the_samples_folder_was_stops_with_a_checkpoint(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 12, "schedule.checkpoint_every": 100})
    run = RunDirectory.create(tmp_path / "run", cfg)
    trainer = Trainer(cfg, run)
    snaps = []
    for snap in trainer.run():
        snaps.append(snap)
        if isinstance(snap, StatusSnapshot) and snap.state == "running":
            run.samples_dir.rmdir()
            run.samples_dir.write_text("not a folder")  # every grid's write now fails
    final = snaps[-1]
    assert final.state == "failed" and final.problem == "write"
    assert final.message.startswith(f"could not write the sample grid {run.samples_dir}")
    assert run.checkpoint_steps() == [1]  # step 0's grid failed: saved after the next step
    assert "every iteration is kept in the checkpoint" in final.message


def test_a_paused_window_run_resumes_once_the_write_works_again(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 12, "schedule.checkpoint_every": 100})
    run = RunDirectory.create(tmp_path / "run", cfg)
    trainer = Trainer(cfg, run)
    trainer.pause_on_write_error = True  # as the window builds it
    seen = []
    for snap in trainer.run():
        seen.append(snap)
        if isinstance(snap, StatusSnapshot) and snap.state == "running" and snap.step == 0:
            run.metrics_path.mkdir()  # metrics.jsonl cannot be appended to: a folder
        if isinstance(snap, StatusSnapshot) and snap.state == "paused":
            assert snap.problem == "write" and "could not write the metrics line" in snap.message
            assert trainer.step == 1 and run.checkpoint_steps() == [1]
            run.metrics_path.rmdir()  # the person fixed it
            trainer.commands.resume()
    assert seen[-1].state == "finished" and trainer.step == 12
    # the line that failed was written on Resume: none missing, none twice
    assert [r["step"] for r in run.read_metrics()] == list(range(1, 13))


def test_a_write_failing_at_the_last_step_pauses_there_until_resumed(tmp_path):
    cfg = tiny_config(**{"schedule.iterations": 1, "schedule.checkpoint_every": 100})
    run = RunDirectory.create(tmp_path / "run", cfg)
    trainer = Trainer(cfg, run)
    trainer.pause_on_write_error = True
    seen = []
    for snap in trainer.run():
        seen.append(snap)
        if isinstance(snap, StatusSnapshot) and snap.state == "running" and snap.step == 0:
            shutil.rmtree(run.samples_dir)
            run.samples_dir.write_text("in the way")
        if isinstance(snap, StatusSnapshot) and snap.state == "paused":
            assert trainer.step == 1 and "could not write the sample grid" in snap.message
            run.samples_dir.unlink()
            trainer.commands.resume()
    assert [s.state for s in seen if isinstance(s, StatusSnapshot)][-2:] == ["running", "finished"]
    assert run.sample_steps() == [0, 1]  # both grids written once the folder could be
    assert run.checkpoint_steps() == [1]


def test_a_deleted_samples_folder_is_made_again_by_a_resume(tmp_path):
    cfg = tiny_config()
    run = RunDirectory.create(tmp_path / "run", cfg)
    list(Trainer(cfg, run).run())
    for path in run.samples_dir.iterdir():
        path.unlink()
    run.samples_dir.rmdir()
    trainer = resume_run(cfg.with_values({"schedule.iterations": 9}), run, how_to_extend="")
    assert trainer.recovered == [f"made the missing folder {run.samples_dir}"]
    assert list(trainer.run())[-1].state == "finished"
    assert run.sample_steps() == [9]


def test_the_leftovers_of_an_interrupted_save_are_cleaned_or_put_back(tmp_path):
    cfg = tiny_config(**{"schedule.checkpoint_every": 2})
    run = RunDirectory.create(tmp_path / "run", cfg)
    list(Trainer(cfg, run).run())
    assert run.checkpoint_steps() == [2, 4, 6]
    ckpts = run.checkpoints_dir
    # killed while filling a checkpoint, while writing a file, and between the two renames
    # that replace a checkpoint (the old one set aside, the new one not yet in place)
    (ckpts / ".step-0000008.tmp-0123abcd").mkdir()
    (ckpts / ".step-0000008.tmp-0123abcd" / "generator.safetensors").write_bytes(b"\0" * 10)
    (run.root / ".metrics.jsonl.tmp-89abcdef").write_text('{"step": 7')
    os.replace(ckpts / "step-0000006", ckpts / ".step-0000006.old-feedbeef")
    trainer = resume_run(cfg.with_values({"schedule.iterations": 8}), run, how_to_extend="")
    assert trainer.step == 6  # the set-aside checkpoint was put back and resumed from
    assert sorted(p.name for p in ckpts.iterdir()) == [
        "step-0000002",
        "step-0000004",
        "step-0000006",
    ]
    assert [p.name for p in run.root.glob(".*")] == [".lock"]  # the run's lock, nothing else
    assert len(trainer.recovered) == 3


def test_a_resume_says_what_it_repaired(tmp_path):
    run_root = tmp_path / "r"
    assert (
        cli("train", *TINY, "--iterations", "2", "--run-dir", run_root, "--no-progress").returncode
        == 0
    )
    (run_root / "checkpoints" / ".step-0000004.tmp-00000000").mkdir()
    result = cli("train", "--resume", run_root, "--iterations", "3", "--no-progress")
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stderr and ".step-0000004.tmp-00000000" in result.stderr
