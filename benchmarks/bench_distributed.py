"""One process against two under torchrun on this machine, and what rank 0's writing costs.

Contestants, interleaved in rounds (the machine is noisy), each a real ``dcgan-studio train``
of the default model (digits, 32x32, widths 32, ``--precision auto``) at a global batch of 64:

- ``1 process``: ``dcgan-studio train --batch-size 64`` with every core as torch's threads;
- ``2 processes``: ``torchrun --nproc-per-node 2 ... --batch-size 32``, one thread each
  (torchrun's OMP_NUM_THREADS=1), gloo, at the default cadences (scalars every 10 iterations,
  a grid every 50, a checkpoint every 200);
- ``2 processes, rank 0 quiet``: the same with nothing written until the end, so that the
  difference is what rank 0's writing costs the run (the others wait for it at the next
  all_reduce).
- ``half alone``: one process at batch 32 with one thread, alone on the machine: what each of
  the two processes computes, without the other beside it and without DDP. Twice its img/s is
  what two processes would reach if nothing but their own work limited them.

Each contestant trains twice, ``--short`` and ``--long`` iterations; img/s is the extra
images over the extra wall-clock seconds, so that starting the processes (importing torch,
the rendezvous, loading the data) cancels out.

    .venv/bin/python benchmarks/bench_distributed.py [--rounds 2] [--short 20] [--long 220]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import print_command
from machine import cpu_description

GLOBAL_BATCH = 64
QUIET = ["--log-every", "100000", "--sample-every", "100000", "--checkpoint-every", "100000"]
CONTESTANTS = {
    "1 process": (1, []),
    "2 processes": (2, []),
    "2 processes, rank 0 quiet": (2, QUIET),
    "half alone": (1, ["--batch-size", str(GLOBAL_BATCH // 2)]),
}


def command(processes: int, iterations: int, run_dir: Path, extra: list[str]) -> list[str]:
    train = [
        "-m", "dcgan_studio", "train", "--iterations", str(iterations), "--no-progress",
        "--device", "cpu", "--batch-size", str(GLOBAL_BATCH // processes),
        "--run-dir", str(run_dir), *extra,  # a later --batch-size wins
    ]  # fmt: skip
    if processes == 1:
        return [sys.executable, *train]
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
    return [sys.executable, *launcher, *train]


def wall_seconds(processes: int, iterations: int, extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if processes > 1 or "--batch-size" in extra:
            env["OMP_NUM_THREADS"] = "1"  # what torchrun sets, said here to silence its warning
        began = time.perf_counter()
        done = subprocess.run(
            command(processes, iterations, Path(folder) / "run", extra),
            capture_output=True,
            text=True,
            env=env,
        )
        took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{processes} process(es) failed:\n{done.stderr[-3000:]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--short", type=int, default=20)
    parser.add_argument("--long", type=int, default=220)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"CPU: {cpu_description()}")
    print(f"global batch {GLOBAL_BATCH}, img/s over iterations {args.short}..{args.long}")
    rates: dict[str, list[float]] = {name: [] for name in CONTESTANTS}
    for r in range(1, args.rounds + 1):
        for name, (processes, extra) in CONTESTANTS.items():
            short = wall_seconds(processes, args.short, extra)
            long = wall_seconds(processes, args.long, extra)
            batch = GLOBAL_BATCH // 2 if name == "half alone" else GLOBAL_BATCH
            rate = (args.long - args.short) * batch / (long - short)
            rates[name].append(rate)
            print(f"round {r}/{args.rounds}  {name:<28} {rate:7.0f} img/s")
    median = {name: statistics.median(values) for name, values in rates.items()}
    alone = median["1 process"]
    print()
    for name, rate in median.items():
        print(f"{name:<28} {rate:7.0f} img/s  {rate / alone:5.2f}x of 1 process")
    ideal = 2 * median["half alone"]
    print(
        f"two processes reach {median['2 processes, rank 0 quiet'] / ideal:.0%} of twice one "
        f"process's half ({ideal:.0f} img/s): the rest is DDP's all_reduces, the agreement and "
        "the two processes sharing the machine"
    )
    writing = 1 - median["2 processes"] / median["2 processes, rank 0 quiet"]
    print(f"rank 0's writing at the default cadences costs the run {writing:.1%} of its speed")
    print_command(started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
