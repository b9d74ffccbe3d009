"""Issue 19, defect 6: one seed, one run, whichever process trains it and however often it stops.

Each run here is its own process (``python -m dcgan_studio train``), as a person's runs are. The
CPU's convolution kernels are chosen per shape (core/cpu_conv), by timing them in each process
unless the run is deterministic; on a busy machine two processes' timings choose differently and
the runs part in the last bits from step 1. The fault injected: each process's clock, as
cpu_conv reads it, finds another kernel the quickest (``FAVOURED``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dcgan_studio.core.runs import open_checkpoint

TINY = [
    *"--dataset digits --image-size 16 --ngf 8 --ndf 8 --nz 16 --batch-size 8 --seed 1".split(),
    *"--device cpu --log-every 1 --sample-every 10 --checkpoint-every 10".split(),
    *"--keep-checkpoints 0 --sample-count 4 --no-progress".split(),
]
TIMES = {"images_per_second", "elapsed_seconds"}  # the only values of a line that may differ

# `python -m dcgan_studio ARGS`, with cpu_conv's clock saying that way FAVOURED (of the ways of
# a product) is the quickest, by a second, wherever the process times them
PRELUDE = r"""
import runpy, sys, time, types
from dcgan_studio.core import cpu_conv
favoured, calls = int(sys.argv.pop(1)), [0]
def perf_counter():
    frame, now = sys._getframe(1), time.perf_counter()
    calls[0] += 1  # a timed call reads the clock twice: before, then after
    ways = frame.f_locals.get("ways")
    if ways and calls[0] % 2 == 0 and frame.f_locals.get("i") != favoured % len(ways):
        now += 1.0
    return now
cpu_conv.time = types.SimpleNamespace(perf_counter=perf_counter)
runpy.run_module("dcgan_studio", run_name="__main__", alter_sys=True)
"""


def train(favoured: int, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE, str(favoured), "train", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def metrics(run: Path) -> list[dict]:
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in line.items() if k not in TIMES} for line in lines]


def assert_same_run(a: Path, b: Path) -> None:
    """Every logged value (losses, D's outputs, gradient norms) and every weight, to the bit."""
    assert [m["step"] for m in metrics(a)] == list(range(1, 21))
    for line_a, line_b in zip(metrics(a), metrics(b), strict=True):
        assert line_a == line_b, f"step {line_a['step']}"
    first, second = open_checkpoint(a), open_checkpoint(b)
    assert first.step == second.step == 20
    for state_a, state_b in (
        (first.generator_state(), second.generator_state()),
        (first.discriminator_state(), second.discriminator_state()),
    ):
        assert state_a.keys() == state_b.keys()
        for name in state_a:
            assert torch.equal(state_a[name], state_b[name]), name


@pytest.fixture(scope="module")
def straight(tmp_path_factory) -> Path:
    """20 deterministic iterations in one process."""
    run = tmp_path_factory.mktemp("runs") / "straight"
    train(0, *TINY, "--deterministic", "--iterations", "20", "--run-dir", str(run))
    return run


def test_two_processes_with_one_seed_train_the_same_run_to_the_bit(straight, tmp_path):
    train(1, *TINY, "--deterministic", "--iterations", "20", "--run-dir", str(tmp_path / "again"))
    assert_same_run(straight, tmp_path / "again")


def test_ten_iterations_then_ten_resumed_in_another_process_are_the_straight_run(
    straight, tmp_path
):
    run = tmp_path / "resumed"
    train(1, *TINY, "--deterministic", "--iterations", "10", "--run-dir", str(run))
    train(0, "--resume", str(run), "--iterations", "20", "--no-progress")
    assert_same_run(straight, run)


def test_a_timed_run_resumed_takes_the_kernels_it_recorded_not_a_new_timing(tmp_path):
    """Not deterministic: the first process times the kernels; the resumed one, whose timing
    would choose others, takes the ones the checkpoint recorded and continues the same run."""
    train(1, *TINY, "--iterations", "20", "--run-dir", str(tmp_path / "straight"))
    train(1, *TINY, "--iterations", "10", "--run-dir", str(tmp_path / "resumed"))
    train(0, "--resume", str(tmp_path / "resumed"), "--iterations", "20", "--no-progress")
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")
