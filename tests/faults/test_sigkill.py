"""SIGKILL at random moments while a real process trains and saves: the run resumes every time,
with every saved checkpoint whole and metrics.jsonl unbroken. A few trials in CI; more with
``DCGAN_FAULT_TRIALS=50`` (and ``DCGAN_FAULT_SEED`` to vary the moments)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from tests.test_cli import TINY, cli, start_cli

TRIALS = int(os.environ.get("DCGAN_FAULT_TRIALS", "3"))
SEED = int(os.environ.get("DCGAN_FAULT_SEED", "19"))


def _train_in_background(run_root, *flags) -> subprocess.Popen:
    """A long tiny run in ``run_root``, started and left running, its output dropped."""
    return start_cli(
        *("train", *TINY, "--iterations", "100000", *flags, "--run-dir", run_root),
        "--no-progress",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_while_training(run_root, delay: float) -> None:
    """Train (a checkpoint and a grid every step: mostly saving), kill ``delay`` s after the
    first checkpoint is whole."""
    every_step = "--checkpoint-every 1 --sample-every 1 --keep-checkpoints 2".split()
    process = _train_in_background(run_root, *every_step)
    try:
        deadline = time.monotonic() + 120
        while not (RunDirectory(run_root).checkpoint_steps() and process.poll() is None):
            assert time.monotonic() < deadline and process.poll() is None, "training never saved"
            time.sleep(0.02)
        time.sleep(delay)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_run_killed_at_a_random_moment_resumes(tmp_path, trial):
    delay = random.Random(SEED * 1000 + trial).uniform(0.0, 1.5)
    run_root = tmp_path / "run"
    _kill_while_training(run_root, delay)
    run = RunDirectory(run_root)
    killed_at = run.checkpoint_steps()[-1]
    assert killed_at >= 1
    result = cli("train", "--resume", run_root, "--iterations", str(killed_at + 2), "--no-progress")
    assert result.returncode == 0, f"killed {delay:.2f} s in: {result.stderr}"
    assert open_checkpoint(run_root).step == killed_at + 2
    steps = [r["step"] for r in run.read_metrics()]
    assert steps == list(range(1, killed_at + 3))  # no gap, no repeat, no broken line
    assert not [p for p in run_root.rglob(".*") if ".tmp-" in p.name or ".old-" in p.name]
    sampled = cli("sample", "--checkpoint", run_root, "--n", "4", "--out", tmp_path / "s.png")
    assert sampled.returncode == 0, sampled.stderr


def test_a_second_trainer_on_a_run_in_training_is_one_line_and_a_kill_frees_it(tmp_path):
    from tests.test_cli import one_error_line

    run_root = tmp_path / "run"
    process = _train_in_background(run_root, "--checkpoint-every", "5")
    try:
        deadline = time.monotonic() + 120
        while not RunDirectory(run_root).checkpoint_steps():
            assert time.monotonic() < deadline and process.poll() is None, "training never saved"
            time.sleep(0.05)
        second = cli("train", "--resume", run_root, "--iterations", "200000", "--no-progress")
        line = one_error_line(second)
        assert f"the run {run_root} is being trained by process {process.pid}" in line
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = RunDirectory(run_root).checkpoint_steps()[-1]
    again = cli("train", "--resume", run_root, "--iterations", str(killed_at + 1), "--no-progress")
    assert again.returncode == 0, again.stderr
