"""Resident memory over a long training session in the window, with every panel live.

The goal (issue 8): resident memory stays within 100 MB of its level after the first minute over
an hour of training with every panel live.

The real ``MainWindow``, shown and driven through its controls as ``bench_window.py`` drives it (the
``Windowed`` contestant of ``contestants.py``: a throwaway settings INI file, a temporary runs
folder, the real batch and D's opinion beside the grid, Start clicked), trains the default config
(digits, 32x32, batch 32) on the CPU with Iterations at 10^9, so it never finishes on its own. Every
panel gets to draw: the docks that share a tab group take turns in front, the next of each group
raised every ``--rotate-seconds`` (every dock has been in front once in the first 45 s, so one-time
costs such as the latent explorer's copy of G are in the baseline). In front, the feature maps are
captured by the engine and drawn, the latent explorer renders G's published weights (and a new
random vector each time it comes to the front), the Data panel previews its dataset. Every
``--scrub-seconds`` (first at 32 s) the sample panel's scrubber is moved to an earlier saved grid,
so the feature maps and filters come from the run's checkpoint at or before it (once there is one:
every 200 steps), read on a background thread, and 5 s later back to live. A paint counter on every
dock and its views checks that each was drawn.

Every ``--sample-seconds`` the process's VmRSS, VmHWM and RssAnon (``/proc/self/status``), its
thread count, the window's QObject count, Python's allocated blocks and the training step are
recorded. The baseline is the sample at 60 s after training started; reported are the baseline,
the largest sample after it, the last, growth = largest - baseline (goal <= 100 MB) and a
least-squares slope over the samples from the baseline on, in MB/hour. MB here is 2^20 bytes, as
elsewhere in the project. Everything runs on the GUI event loop (Qt timers; nothing sleeps on the
GUI thread). At the end training is stopped (Stop, then the session ends, saving a checkpoint) and
the window closed. The exit status is 0 whenever the run completed, whatever the verdict.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_memory.py [--minutes 60]
        [--sample-seconds 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import command_line
from contestants import Windowed
from panel_driver import PaintCounter, PanelDriver
from PySide6.QtCore import QObject, Qt, QTimer
from qt_common import StallProbe, run_until, versions, write_report

from dcgan_studio.gui.app import make_application

MB = 2**20
GOAL_MB = 100.0
BASELINE_S = 60.0  # the goal's "level after the first minute"


def process_status() -> dict[str, int]:
    """VmRSS, VmHWM, RssAnon (bytes) and Threads of this process, from /proc/self/status."""
    wanted = {"VmRSS": "rss", "VmHWM": "hwm", "RssAnon": "anon", "Threads": "threads"}
    out: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in wanted:
                fields = value.split()
                out[wanted[key]] = int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
    return out


class MemoryRun:
    """Samples the process's memory on a timer while the window trains, for ``duration_s``."""

    def __init__(
        self,
        windowed: Windowed,
        duration_s: float,
        sample_s: float,
        rotate_s: float,
        scrub_s: float,
        table_s: float,
    ) -> None:
        self.windowed, self.window = windowed, windowed.window
        self.duration_s, self.sample_s, self.table_s = duration_s, sample_s, table_s
        self.count = max(1, round(duration_s / sample_s))  # samples after the one at 0 s
        self.t0 = time.monotonic()
        self.driver = PanelDriver(self.window, self.clock, rotate_s, scrub_s)
        self.paints = PaintCounter(self.window.docks)
        self.samples: list[dict] = []
        self.done = False
        self.failure: str | None = None
        self._printed: dict | None = None  # the last sample with a table row
        self.base_i: int | None = None  # the baseline sample's index: the first at ~60 s
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(int(sample_s * 1000))
        self.timer.timeout.connect(self._on_sample_due)

    def clock(self) -> float:
        return time.monotonic() - self.t0

    def run(self) -> None:
        self.t0 = time.monotonic()
        self.paints.reset()
        self.driver.start()
        self._take_sample()
        self.timer.start()
        run_until(lambda: self.done, self.duration_s + 120, "the end of the run")
        self.timer.stop()
        self.driver.stop()
        if self.failure:
            raise RuntimeError(self.failure)

    def _on_sample_due(self) -> None:
        w, run = self.window, self.window.run
        if not w.session.running or run.state not in ("running", "paused"):
            self.failure = (
                f"training ended early ({run.state}; {run.last_error or 'no error'}) at "
                f"{self.clock():.0f} s"
            )
            self.done = True
            return
        if run.state == "paused":  # only a diverged run pauses itself; it fails right after
            w.session.resume()
        self._take_sample()
        if len(self.samples) > self.count:
            self.done = True

    def _take_sample(self) -> None:
        w, status = self.window, process_status()
        maps, filters, renderer = (
            w.inspector.feature_maps.snapshot,
            w.inspector.filters.snapshot,
            w.latent.jobs.renderer,
        )
        sample = {
            "t": self.clock(),
            "step": self.windowed.last_step(),
            "rss_mb": status["rss"] / MB,
            "hwm_mb": status["hwm"] / MB,
            "anon_mb": status.get("anon", 0) / MB,
            "threads": status["threads"],
            "qobjects": len(w.frame.findChildren(QObject)),
            "py_blocks": sys.getallocatedblocks(),
            "history_rows": len(w.run.history),
            "front": self.driver.front(),
            "grid_step": None
            if w.sample_panel.live_grid is None
            else w.sample_panel.live_grid.step,
            "features_step": None if maps is None else maps.step,
            "filters_step": None if filters is None else filters.step,
            "latent_step": None if renderer is None else renderer.step,
            "latent_renders": len(w.latent.jobs.latencies),
            "paints": dict(self.paints.counts),
        }
        self.samples.append(sample)
        index = len(self.samples) - 1
        if self.base_i is None and sample["t"] >= BASELINE_S - self.sample_s / 2:
            self.base_i = index
        if index == 0:
            print(
                f"{'min':>6} {'step':>7} {'it/s':>6} {'RSS MB':>8} {'vs base':>8} "
                f"{'HWM MB':>8} {'anon MB':>8} {'threads':>7} {'QObjects':>8} "
                f"{'py blocks':>10}  front",
                flush=True,
            )
        row_every = max(1, round(self.table_s / self.sample_s))
        if index % row_every == 0 or index == self.base_i or index == self.count:
            self._print_row(sample)

    def _print_row(self, s: dict) -> None:
        vs = (
            f"{s['rss_mb'] - self.samples[self.base_i]['rss_mb']:+8.1f}"
            if self.base_i is not None
            else f"{'':>8}"
        )
        previous, self._printed = self._printed, s
        rate = (
            f"{(s['step'] - max(previous['step'], 0)) / (s['t'] - previous['t']):6.1f}"
            if previous
            else f"{'-':>6}"
        )
        step = f"{s['step']:7d}" if s["step"] >= 0 else f"{'-':>7}"  # none logged yet
        print(
            f"{s['t'] / 60:6.1f} {step} {rate} {s['rss_mb']:8.1f} {vs} "
            f"{s['hwm_mb']:8.1f} {s['anon_mb']:8.1f} {s['threads']:7d} {s['qobjects']:8d} "
            f"{s['py_blocks'] / 1000:9.0f}k  {', '.join(s['front'])}",
            flush=True,
        )

    def summary(self) -> dict:
        samples = self.samples
        base_i = self.base_i if self.base_i is not None else len(samples) - 1
        base = samples[base_i]
        after = samples[base_i:]
        rss = np.array([s["rss_mb"] for s in after])
        hours = np.array([s["t"] for s in after]) / 3600
        slope = float(np.polyfit(hours, rss, 1)[0]) if len(after) >= 2 else None
        peak = max(after, key=lambda s: s["rss_mb"])
        growth = peak["rss_mb"] - base["rss_mb"]
        last = samples[-1]
        return {
            "start_mb": samples[0]["rss_mb"],
            "baseline_mb": base["rss_mb"],
            "baseline_t": base["t"],
            "max_mb": peak["rss_mb"],
            "max_t": peak["t"],
            "final_mb": last["rss_mb"],
            "hwm_mb": last["hwm_mb"],
            "growth_mb": growth,
            "slope_mb_per_hour": slope,
            "goal_mb": GOAL_MB,
            "passed": growth <= GOAL_MB,
            "seconds": last["t"],
            "steps": last["step"] - samples[0]["step"],
            "qobjects": [samples[0]["qobjects"], base["qobjects"], last["qobjects"]],
            "threads": [samples[0]["threads"], base["threads"], last["threads"]],
        }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="of training, > 1")
    parser.add_argument("--sample-seconds", type=float, default=10.0)
    parser.add_argument(
        "--rotate-seconds",
        type=float,
        default=20.0,
        help="the next dock of each tab group comes to the front this often",
    )
    parser.add_argument(
        "--scrub-seconds",
        type=float,
        default=60.0,
        help="the sample scrubber goes to an earlier grid this often",
    )
    parser.add_argument("--table-minutes", type=float, default=5.0, help="a table row this often")
    parser.add_argument("--json", type=Path, help="also write every sample and the summary here")
    args = parser.parse_args(argv)
    if args.minutes * 60 <= BASELINE_S or args.sample_seconds <= 0:
        parser.error("--minutes must be over 1 (the baseline is at 60 s), --sample-seconds > 0")
    return args


def train_and_sample(args: argparse.Namespace):
    """The window trains while ``MemoryRun`` samples; then Stop, and the window closes.
    (the run, its config, seconds from Stop to the session's end)"""
    values = {"runtime.device": "cpu", "schedule.iterations": 10**9}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp_name:
        windowed = Windowed(values, Path(tmp_name), StallProbe(5))  # the probe is never started
        w, cfg = windowed.window, windowed.cfg
        try:
            print(
                f"DCGAN {cfg.model.image_size}x{cfg.model.image_size}, batch "
                f"{cfg.optim.batch_size}, {cfg.data.dataset}, {cfg.runtime.device}, "
                f"{versions()}; {args.minutes:g} min, a sample every {args.sample_seconds:g} s",
                flush=True,
            )
            bench = MemoryRun(
                windowed,
                args.minutes * 60,
                args.sample_seconds,
                args.rotate_seconds,
                args.scrub_seconds,
                args.table_minutes * 60,
            )
            bench.run()
        finally:
            began = time.monotonic()
            if w.session.running:
                w.controls.stop_button.click()
                run_until(lambda: not w.session.running, 120, "training to stop")
            stopped_s = time.monotonic() - began
            windowed.close()
    return bench, cfg, stopped_s


def what_was_live(bench: MemoryRun) -> tuple[dict, dict]:
    """(per dock: raised, seconds in front, paints; what the live panels did)"""
    driver, samples = bench.driver, bench.samples
    docks = {
        name: {
            "raised": driver.raised[name],
            "front_s": driver.front_s[name],
            "paints": bench.paints.counts[name],
        }
        for name in driver.raised
    }
    live = {
        "feature_map_steps": len({s["features_step"] for s in samples} - {None}),
        "filter_steps": len({s["filters_step"] for s in samples} - {None}),
        "latent_g_steps": len({s["latent_step"] for s in samples} - {None}),
        "latent_renders": samples[-1]["latent_renders"],
        "data_previews": driver.previews,
        "latent_random_vectors": driver.random_vectors,
        "scrubs": driver.scrubs,
    }
    return docks, live


def print_report(args: argparse.Namespace, summary: dict, docks: dict, live: dict) -> None:
    undrawn = [name for name, d in docks.items() if d["paints"] == 0]
    print(
        "\ndocks (raised / seconds in front / paints): "
        + ", ".join(f"{n} {d['raised']}/{d['front_s']:.0f}/{d['paints']}" for n, d in docks.items())
    )
    print(
        f"live: feature maps of {live['feature_map_steps']} steps sampled, filters of "
        f"{live['filter_steps']}, latent explorer G of {live['latent_g_steps']} steps "
        f"({live['latent_renders']} renders, {live['latent_random_vectors']} random vectors), "
        f"{live['data_previews']} data previews, {len(live['scrubs'])} scrubs to earlier grids"
        + (f"; NOT DRAWN: {', '.join(undrawn)}" if undrawn else "; every dock drew")
    )
    s = summary
    slope = "n/a" if s["slope_mb_per_hour"] is None else f"{s['slope_mb_per_hour']:+.1f} MB/h"
    print(
        f"resident memory: start {s['start_mb']:.1f} MB, baseline at {s['baseline_t']:.0f} s "
        f"{s['baseline_mb']:.1f} MB, max after it {s['max_mb']:.1f} MB (at "
        f"{s['max_t'] / 60:.1f} min), final {s['final_mb']:.1f} MB, peak (VmHWM) "
        f"{s['hwm_mb']:.1f} MB; QObjects {s['qobjects'][1]} -> {s['qobjects'][2]}, threads "
        f"{s['threads'][1]} -> {s['threads'][2]}; {s['steps']} steps in "
        f"{s['seconds'] / 60:.1f} min"
    )
    verdict = "PASS" if s["passed"] else "FAIL"
    note = "" if args.minutes >= 60 else f" (over {args.minutes:g} min; the goal names 60)"
    print(
        f"{verdict}: growth {s['growth_mb']:+.1f} MB over the baseline (goal <= "
        f"{GOAL_MB:.0f} MB), slope {slope}{note}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = command_line()
    app = make_application()
    bench, cfg, stopped_s = train_and_sample(args)
    summary = bench.summary()
    summary["stop_seconds"] = stopped_s
    docks, live = what_was_live(bench)
    print_report(args, summary, docks, live)
    print(f"command: {command}")
    if args.json:
        write_report(
            args.json,
            command,
            cfg,
            minutes=args.minutes,
            sample_seconds=args.sample_seconds,
            rotate_seconds=args.rotate_seconds,
            scrub_seconds=args.scrub_seconds,
            summary=summary,
            docks=docks,
            live=live,
            tab_groups=bench.driver.groups,
            samples=bench.samples,
        )
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
