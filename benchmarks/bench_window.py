"""The window's cost: training speed with every panel live against headless, GUI stalls, launch.

Three measurements in one process run:

1. Training images/s with the studio window open against headless training of the same config.
   Windowed: the real ``MainWindow``, shown, driven through its controls (Start clicked), with the
   sample panel showing the real batch beside the grid and D's opinion, the loss plots in their
   dock and the window's own redraw timer running; training is in the window's QThread worker.
   Headless: a ``Trainer`` with a run folder iterated through ``Trainer.run()`` on the main thread
   with no Qt event-loop work, which is what ``dcgan-studio train`` does; it is the speed a person
   gives up by watching, so it is the honest baseline (a QThread without a window would only add
   a thread hop to the baseline and hide nothing the window costs).
   Both are segmented the same way, by the engine's own pause / resume commands, and timed by the
   same clock: the trainer's ``images_per_second`` over its logged windows (the window reads them
   from its ``LossHistory``). That clock runs on the training thread, so it includes every
   slowdown the GUI causes (GIL, CPU cores) but not the GUI's lag in noticing a step. After each
   resume a short untimed lead-in runs to the next logged step, then ``--iterations`` are timed
   between logged steps that are not grid or checkpoint steps, so each segment holds exactly the
   grids and checkpoints of its own iterations and both contestants time the same step ranges.
   Segments alternate (ABBA order) after a warm-up each; the median of the rounds is reported
   with the ratio windowed / headless (goal: >= 0.90). The wall clock as the driving code saw it
   is printed beside it as a check.
2. GUI event-loop stalls while the window trains: a precise QTimer on the GUI thread records the
   lag of each timeout behind its interval; p50, p99 and max in ms (goal: p99 < 50 ms).
3. Launch to a visible window: a fresh interpreter (``launch_probe.py``) does what
   ``python -m dcgan_studio`` does (imports, QApplication, ``open_window``) with a throwaway
   settings file, and reports the time from just before the parent started it to the window
   being exposed (with its progress page, while the core imports on a thread; goal < 3 s) and to
   its views being built and painted; median of ``--launches``.

Settings go to a temporary INI file and runs to a temporary folder; nothing of the user's is read
or written.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--iterations 120]
        [--rounds 12] [--batch-size 32] [--json out.json]
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_window.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import command_line
from contestants import Headless, Windowed, measure_training
from cpu_steal import QUIET_STEAL, quiet_rounds
from launch_probe import launch
from qt_common import StallProbe, versions, write_report

from dcgan_studio.config import RunConfig
from dcgan_studio.gui.app import make_application


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=RunConfig().optim.batch_size,
        help="the window's default unless given",
    )
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="auto")
    parser.add_argument(
        "--iterations",
        type=int,
        default=120,
        help="timed per contestant per round (rounded up to a logged step)",
    )
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=10, help="iterations before the rounds")
    parser.add_argument("--launches", type=int, default=3, help="launch-time repeats, 0 skips")
    parser.add_argument("--probe-ms", type=int, default=10, help="interval of the stall probe")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


# ---- the measurements -------------------------------------------------------------------------
def measure_launch(count: int) -> list[dict[str, float]]:
    """Measurement 3: ``count`` launches in fresh interpreters, one after the other."""
    results = []
    for i in range(count):
        marks = launch()
        results.append(marks)
        print(
            f"launch {i + 1}/{count}: window exposed after {marks['exposed']:.2f} s, its "
            f"views ready after {marks['ready']:.2f} s",
            file=sys.stderr,
        )
    return results


def train_both(args: argparse.Namespace, probe: StallProbe):
    """Measurements 1 and 2: the window and the headless trainer in interleaved rounds, the
    stall probe running while the window trains; (results, the config, its precision)."""
    values = {
        "model.image_size": args.image_size,
        "optim.batch_size": args.batch_size,
        "data.dataset": args.dataset,
        "runtime.device": args.device,
        "runtime.precision": args.precision,
        "schedule.iterations": 10**9,
    }
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp_name:
        tmp = Path(tmp_name)
        windowed = Windowed(values, tmp, probe)
        try:
            windowed.warm_up(args.warmup)  # then it waits, paused, while the headless one warms up
            cfg = windowed.cfg  # the exact config the window trains: the headless one is the same
            headless = Headless(cfg, tmp / "runs")
            try:
                precision = headless.trainer.precision
                headless.warm_up(args.warmup)
                results = measure_training(
                    {"headless": headless, "windowed": windowed}, args.iterations, args.rounds
                )
            finally:
                headless.close()
        finally:
            windowed.close()
    return results, cfg, precision


# ---- the report -------------------------------------------------------------------------------
def summarize(results: dict, probe: StallProbe) -> dict:
    """The figures of the report (and of its JSON) from the rounds and the stall probe."""
    median = {name: statistics.median(v["rate"]) for name, v in results.items()}
    # the two segments of a round run back to back: their ratio is the least touched by this
    # machine's drifts in speed, which can be larger than the window's cost
    round_ratios = [w / h for w, h in zip(results["windowed"]["rate"], results["headless"]["rate"])]
    quiet = quiet_rounds([v["cpu_steal"] for v in results.values()])
    lags = np.asarray(probe.lags)
    return {
        "median": median,
        "wall_median": {name: statistics.median(v["wall_rate"]) for name, v in results.items()},
        "ratio": median["windowed"] / median["headless"],
        "round_ratios": round_ratios,
        "quiet_rounds": quiet,
        "quiet_ratio": statistics.median(round_ratios[r] for r in quiet) if quiet else None,
        "stall": {
            "ticks": int(lags.size),
            "interval_ms": probe.interval_ms,
            **{f"p{q}_ms": float(np.percentile(lags, q)) for q in (50, 90, 99, 99.9)},
            "max_ms": float(lags.max()),
            "worst_ms": sorted(lags.tolist())[-10:][::-1],
        },
    }


def print_training(args: argparse.Namespace, results: dict, figures: dict) -> None:
    median, wall, quiet = figures["median"], figures["wall_median"], figures["quiet_rounds"]
    round_ratios = figures["round_ratios"]
    print(
        f"training, median of {args.rounds} interleaved rounds of ~{args.iterations} "
        "iterations (trainer's clock):"
    )
    print(f"  {Headless.label:<44} {median['headless']:7.0f} img/s")
    print(
        f"  {Windowed.label:<44} {median['windowed']:7.0f} img/s  {figures['ratio']:.2f}x "
        f"headless (goal >= 0.90)"
    )
    print(
        f"  the rounds' own ratios: median {statistics.median(round_ratios):.2f}x ("
        + ", ".join(f"{r:.2f}" for r in round_ratios)
        + ")"
        + (
            f"; of the {len(quiet)} quiet round{'s' * (len(quiet) != 1)} (CPU steal at most "
            f"{QUIET_STEAL:.0%}): {figures['quiet_ratio']:.2f}x"
            if quiet
            else ""
        )
    )
    print(
        f"  (wall clock as the driver saw it: {wall['headless']:.0f} / {wall['windowed']:.0f} "
        f"img/s, {wall['windowed'] / wall['headless']:.2f}x)"
    )
    steals = [x for v in results.values() for x in v["cpu_steal"] if x is not None]
    print(
        f"  GUI thread busy {statistics.median(results['windowed']['gui_thread_cpu']):.0%} of "
        "a core while the window trains"
        + (
            f"; CPU steal in timed segments: median {statistics.median(steals):.0%}, max "
            f"{max(steals):.0%} (rounds with high steal measure the neighbours)"
            if steals
            else ""
        )
    )
    stall = figures["stall"]
    print(
        f"GUI event-loop lag while training ({stall['interval_ms']} ms probe, {stall['ticks']} "
        f"ticks): p50 {stall['p50_ms']:.1f} ms, p99 {stall['p99_ms']:.1f} ms, max "
        f"{stall['max_ms']:.1f} ms (goal p99 < 50 ms)"
    )


def print_launches(launches: list[dict]) -> None:
    """The median launch, and the marks of the launch nearest to it."""
    exposed = [m["exposed"] for m in launches]
    middle = statistics.median(exposed)
    m = launches[min(range(len(launches)), key=lambda i: abs(exposed[i] - middle))]
    print(
        f"launch to exposed window (its progress page), median of {len(launches)}: "
        f"{middle:.2f} s (goal < 3 s); views built and painted "
        f"after {statistics.median(m['ready'] for m in launches):.2f} s  (that run: "
        f"interpreter {m['interpreter']:.2f}, exposed {m['exposed']:.2f} with the core "
        f"{'already' if m['core_loaded_when_exposed'] else 'not yet'} imported, views "
        f"built {m['views_built']:.2f}, painted {m['ready']:.2f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wall_started = time.perf_counter()
    app = make_application()
    launches = measure_launch(args.launches)
    probe = StallProbe(args.probe_ms)
    results, cfg, precision = train_both(args, probe)
    figures = summarize(results, probe)

    command = command_line()
    layout = ", channels_last" if precision.channels_last else ""
    print(
        f"\nDCGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, "
        f"{args.dataset}, {cfg.runtime.device} ({precision.name}{layout}), {versions()}"
    )
    print_training(args, results, figures)
    if launches:
        print_launches(launches)
    total = time.perf_counter() - wall_started
    print(f"command: {command}   ({total:.0f} s)")
    if args.json:
        exposed = [m["exposed"] for m in launches]
        write_report(
            args.json,
            command,
            cfg,
            precision=precision.reason,
            training=results,
            **figures,
            launch=launches,
            launch_median_s=statistics.median(exposed) if launches else None,
            launch_ready_median_s=(
                statistics.median(m["ready"] for m in launches) if launches else None
            ),
            seconds=total,
        )
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
