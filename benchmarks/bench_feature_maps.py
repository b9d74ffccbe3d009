"""The cost of live feature maps on training speed, measured against the same training without.

Two comparisons in one process run, each by interleaved segments (ABBA) on the trainer's own
clock, as in ``bench_window.py``, with its contestants and timing (``contestants.py``):

1. The window: two studio windows of the same config, trained in turn. In one the Feature maps
   dock is in front, so the engine captures the chosen layer for the chosen sample at its default
   cadence (``engine.PROBE_INTERVAL``) and the panel redraws its mosaic from the window's timer;
   in the other the dock is closed, so the window tells the engine to stop capturing. Everything
   else (grid, real batch, loss plots, filters) is live in both. Goal: the live one trains at
   least 0.95 times as fast (under 5% cost).
2. The engine alone: two headless trainers, one capturing the same layer at the same cadence and
   one not, to separate the capture itself from the drawing.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_feature_maps.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import print_command
from contestants import Headless, Windowed, measure_training
from qt_common import StallProbe, run_until

from dcgan_studio.core.engine import PROBE_INTERVAL
from dcgan_studio.gui.app import make_application


def live_windows(values: dict, tmp: Path, warmup: int) -> tuple[Windowed, Windowed]:
    probe = StallProbe(5)  # Windowed wants one; stalls are bench_window.py's subject
    shown = Windowed(values, tmp / "shown", probe)
    shown.window.docks["features"].raise_()
    run_until(
        lambda: shown.window.inspector.feature_maps.snapshot is not None,
        120,
        "the first feature maps",
    )
    shown.warm_up(warmup)
    hidden = Windowed(values, tmp / "hidden", probe)
    hidden.window.docks["features"].close()
    run_until(lambda: not hidden.window.inspector.model.visible, 30, "the dock to close")
    hidden.warm_up(warmup)
    return shown, hidden


def report(title: str, results: dict, live: str, off: str) -> float:
    median = {name: statistics.median(v["rate"]) for name, v in results.items()}
    ratio = median[live] / median[off]
    print(title)
    print(f"  {off:<40} {median[off]:7.0f} img/s")
    print(
        f"  {live:<40} {median[live]:7.0f} img/s  {ratio:.3f}x  (cost {1 - ratio:+.1%}, "
        "goal under 5%)"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--iterations", type=int, default=20, help="timed per segment")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    app = make_application()
    values = {
        "model.image_size": args.image_size,
        "optim.batch_size": args.batch_size,
        "runtime.device": "cpu",
        "runtime.precision": args.precision,
        "schedule.iterations": 10**9,
    }
    with tempfile.TemporaryDirectory(prefix="bench-feature-maps-") as name:
        tmp = Path(name)
        shown, hidden = live_windows(values, tmp, args.warmup)
        try:
            request = shown.window.inspector.model.request
            windows = measure_training(
                {"feature maps live": shown, "feature maps hidden": hidden},
                args.iterations,
                args.rounds,
            )
            cfg = shown.cfg
        finally:
            shown.close()
            hidden.close()
        looking, plain = Headless(cfg, tmp / "a"), Headless(cfg, tmp / "b")
        try:
            looking.trainer.probe = request
            for contestant in (looking, plain):
                contestant.warm_up(args.warmup)
            engines = measure_training(
                {"engine capturing": looking, "engine not": plain}, args.iterations, args.rounds
            )
        finally:
            looking.close()
            plain.close()
    precision = looking.trainer.precision
    print(
        f"\nDCGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, cpu "
        f"({precision.name}), {torch.get_num_threads()} threads; feature maps of "
        f"{request.network.upper()} {request.layer} for {request.source} tile {request.index}, "
        f"captured every {PROBE_INTERVAL} s; median of {args.rounds} interleaved rounds of "
        f"~{args.iterations} iterations (trainer's clock)"
    )
    report("the window:", windows, "feature maps live", "feature maps hidden")
    report("the engine alone:", engines, "engine capturing", "engine not")
    print_command(started)
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
