"""Live quality scores against training speed: how much training slows while G's samples are
scored every N seconds on a thread of their own, as the window's Quality tab scores them.

Contestants, interleaved in rounds of ``--seconds`` each, in one process (the machine is noisy):

- ``plain``: the default run (digits, 32x32, batch 32, the Fast on a CPU preset) training alone;
- ``scored every N s``: the same training, with a thread that takes the newest weights the
  engine published and scores them (1,000 samples, KID and FD in the digit classifier's
  feature space, the class histogram) every N seconds, on one thread at the lowest priority,
  as ``gui/quality/jobs.py`` does; the scorer is built in the round (encoding the real
  images), as when a run starts.

Reported: img/s of each, their ratio (goal: within 5%, at least 0.95), the scores made, and
the seconds one score takes.

    .venv/bin/python benchmarks/bench_quality.py [--seconds 90] [--rounds 2] [--every 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

from common import background_config, print_command
from cpu_steal import CpuSteal
from machine import cpu_description

from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.quality.scorer import QualityScorer, in_the_background
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot


def train_for(seconds: float, every: float | None) -> tuple[float, list[float]]:
    """img/s over ``seconds`` of training; with ``every``, a scorer thread beside it; also the
    seconds each score took."""
    config = background_config()
    trainer = Trainer(config, commands=CommandQueue())
    latest: list[GeneratorWeightsSnapshot] = []
    took: list[float] = []
    stop = threading.Event()

    def score_loop() -> None:
        in_the_background()  # as the window's quality worker does
        scorer = None
        while not stop.wait(every):
            if not latest:
                continue
            began = time.perf_counter()
            if scorer is None:
                scorer = QualityScorer(config)
            weights = latest[-1]
            scorer.score_weights(weights.state, weights.step)
            took.append(time.perf_counter() - began)

    thread = threading.Thread(target=score_loop, daemon=True) if every else None
    steps = trainer.run(max_seconds=None)
    began, images = time.perf_counter(), 0
    if thread is not None:
        thread.start()
    last_step = trainer.step
    for snap in steps:
        if isinstance(snap, GeneratorWeightsSnapshot):
            latest[:] = [snap]
        if time.perf_counter() - began >= seconds:
            break
    elapsed = time.perf_counter() - began
    images = (trainer.step - last_step) * config.optim.batch_size
    stop.set()
    steps.close()
    if thread is not None:
        thread.join()
    return images / elapsed, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="training per contestant")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between scores")
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"CPU: {cpu_description()}")
    scored = f"scored every {args.every:g} s"
    rates: dict[str, list[float]] = {"plain": [], scored: []}
    took: list[float] = []
    for r in range(args.rounds):
        line = []
        for name, every in (("plain", None), (scored, args.every)):
            before = CpuSteal.read()
            rate, times = train_for(args.seconds, every)
            steal = CpuSteal.share(before, CpuSteal.read())
            rates[name].append(rate)
            took += times
            line.append(f"{name} {rate:.0f} img/s" + (f" (steal {steal:.0%})" if steal else ""))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(line), file=sys.stderr)
    plain, with_scores = statistics.median(rates["plain"]), statistics.median(rates[scored])
    ratio = with_scores / plain
    verdict = "met" if ratio >= 0.95 else "NOT met"
    print(f"training alone: {plain:.0f} img/s (median of {args.rounds} rounds)")
    print(f"training {scored}: {with_scores:.0f} img/s")
    print(f"ratio: {ratio:.3f} (goal: at least 0.95, {verdict})")
    if took:
        print(
            f"scores made: {len(took)}; seconds each: first {took[0]:.2f} (builds the scorer), "
            f"then median {statistics.median(took[1:] or took):.2f}"
        )
    print_command(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
