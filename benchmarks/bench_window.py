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
3. Launch to a visible window: a fresh interpreter (``python -c``) does what
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
import contextlib
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from cpu_steal import QUIET_STEAL, CpuSteal, quiet_rounds
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication

from dcgan_studio.config import RunConfig
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import ScalarSnapshot, StatusSnapshot

LAUNCH_ENV = "DCGAN_BENCH_LAUNCHED_NS"
# how often run_until looks at its condition: each look is a wake-up of the GUI thread, which the
# windowed contestant pays for and a person's window does not (at 5 ms it was 2% of a core)
CHECK_MS = 25  # time.time_ns() in the parent just before the child

# The child of measurement 3: the path of `python -m dcgan_studio` (cli -> gui.app -> MainWindow),
# but with a throwaway settings file and runs folder. Prints one JSON line of seconds since launch.
LAUNCH_CHILD = f"""
import os, time
t0 = int(os.environ[{LAUNCH_ENV!r}]) / 1e9
marks = {{"interpreter": time.time() - t0}}
import json, sys, tempfile
from pathlib import Path
import dcgan_studio.cli  # what `python -m dcgan_studio` imports first
from dcgan_studio.gui.app import make_application, open_window
from PySide6.QtCore import QEventLoop, QSettings
app = make_application(theme=False)

def exposed(widget):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        handle = widget.windowHandle()
        if handle is not None and handle.isExposed():
            return time.time() - t0
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

with tempfile.TemporaryDirectory() as tmp:
    settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
    window = open_window(runs_root=Path(tmp) / "runs", settings=settings)
    marks["exposed"] = exposed(window)  # with its progress page; the core loads on a thread
    marks["core_loaded_when_exposed"] = "dcgan_studio.core.engine" in sys.modules
    while not window.views_built:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    marks["views_built"] = time.time() - t0
    app.processEvents()  # the first paint of the views
    marks["ready"] = time.time() - t0
    window.close()
print(json.dumps(marks))
"""


@contextlib.contextmanager
def training_beside(trainer):
    """Train ``trainer`` on another thread while the block runs (a benchmark's busy case): it
    has made two steps when the block starts, and is stopped and joined when it ends."""
    stop = threading.Event()

    def train() -> None:
        for _ in trainer.run():
            if stop.is_set():
                trainer.commands.stop()

    worker = threading.Thread(target=train, name="bench-training")
    worker.start()
    try:
        run_until(lambda: trainer.step >= 2, 120, "training to run")
        yield
    finally:
        stop.set()
        worker.join()


# ---- driving Qt -------------------------------------------------------------------------------
def run_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Run the real event loop (timers, paints, signals) until ``condition()`` holds."""
    if condition():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(CHECK_MS)
    check.timeout.connect(lambda: condition() and loop.quit())
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    check.start()
    deadline.start(int(timeout * 1000))
    loop.exec()
    check.stop()
    deadline.stop()
    if not condition():
        raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


class StallProbe:
    """A precise timer on the GUI thread; each timeout's lag behind its interval, in ms."""

    def __init__(self, interval_ms: int) -> None:
        self.interval_ms = interval_ms
        self.lags: list[float] = []
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._on_timeout)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._last = None

    def _on_timeout(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.lags.append((now - self._last) * 1000.0 - self.interval_ms)
        self._last = now


def trainer_clock_rate(steps, rates, start_step: int, end_step: int, batch: int) -> float:
    """img/s over (start_step, end_step] from the trainer's logged windows: each logged row holds
    the rate since the previous logged row (``start_step`` is one)."""
    images = seconds = 0.0
    previous = start_step
    for step, rate in zip(steps, rates):
        if step <= start_step or step > end_step:
            continue
        done = (step - previous) * batch
        images += done
        seconds += done / rate
        previous = step
    if previous != end_step:
        raise RuntimeError(f"no logged row at step {end_step} (last {previous})")
    return images / seconds


def boundary(at_least: int, cfg: RunConfig) -> int:
    """The first logged step >= ``at_least`` that is not a grid or a checkpoint step: a segment
    timed from one boundary to the next holds exactly the grids and checkpoints of its own
    iterations (they run after their step's scalars are logged, so a grid at the end would
    fall after the clock stops, and one at the start would be counted twice)."""
    s = cfg.schedule
    step = -(-at_least // s.log_every) * s.log_every
    while step % s.sample_every == 0 or step % s.checkpoint_every == 0:
        step += s.log_every
    return step


def segment_bounds(paused_at: int, iterations: int, cfg: RunConfig) -> tuple[int, int]:
    """(first, last) logged steps of a timed segment after a pause at ``paused_at``. Training
    resumes untimed up to ``first`` (the warm-up after the other contestant's turn; it also
    absorbs where the window's pause happened to land, so both contestants time the same
    steps), then is timed over (first, last]."""
    first = boundary(paused_at + 1, cfg)
    return first, boundary(first + iterations, cfg)


# ---- the contestants --------------------------------------------------------------------------
class Headless:
    """``Trainer.run()`` on this thread, no Qt work: what ``dcgan-studio train`` does."""

    label = "headless: Trainer.run() on the main thread"

    def __init__(self, cfg: RunConfig, runs_root: Path) -> None:
        self.cfg = cfg
        self.trainer = Trainer(cfg)
        self.trainer.run_dir = RunDirectory.create(runs_root / "headless", cfg)
        self.snapshots = self.trainer.run()
        self.scalars: list[ScalarSnapshot] = []
        self.steal: float | None = None  # CPU steal over the last timed segment
        self._advance_to(lambda: self.trainer.state == "running")
        self.pause()

    def _advance_to(self, condition: Callable[[], bool]) -> None:
        for snap in self.snapshots:
            if isinstance(snap, ScalarSnapshot):
                self.scalars.append(snap)
            if condition():
                return
        raise RuntimeError(f"headless training ended: {self.trainer.state}")

    def pause(self) -> None:
        self.trainer.commands.pause()
        self._advance_to(lambda: self.trainer.state == "paused")

    def warm_up(self, iterations: int) -> None:
        self.trainer.commands.resume()
        self._advance_to(lambda: self.trainer.step >= iterations)
        self.pause()

    def _logged(self, step: int) -> bool:
        return bool(self.scalars) and self.scalars[-1].step >= step

    def segment(self, iterations: int) -> tuple[int, int, float]:
        """Resume, train through the segment, pause; (first step, last step, wall seconds)."""
        first, last = segment_bounds(self.trainer.step, iterations, self.cfg)
        self.trainer.commands.resume()
        self._advance_to(lambda: self._logged(first))
        began, steal = time.perf_counter(), CpuSteal.read()
        self._advance_to(lambda: self._logged(last))
        wall = time.perf_counter() - began
        self.steal = CpuSteal.share(steal, CpuSteal.read())
        self.pause()
        return first, last, wall

    def rate(self, first: int, last: int) -> float:
        return trainer_clock_rate(
            [s.step for s in self.scalars],
            [s.images_per_second for s in self.scalars],
            first,
            last,
            self.cfg.optim.batch_size,
        )

    def close(self) -> None:
        self.snapshots.close()


class Windowed:
    """The studio window, shown, every panel live, driven through its controls and session."""

    label = "window open, all panels live (QThread)"

    def __init__(self, values: dict, tmp: Path, probe: StallProbe) -> None:
        from dcgan_studio.gui.main_window import MainWindow

        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        self.window = w = MainWindow(tmp / "runs", log_path=str(tmp / "log.txt"), settings=settings)
        self.probe = probe
        w.resize(1440, 900)
        w.show()
        for field, value in values.items():
            editor = w.controls.editors[field]
            if hasattr(editor, "findData"):
                index = editor.findData(value)
                if index < 0:
                    raise ValueError(f"{field}: no choice {value!r} in the window")
                editor.setCurrentIndex(index)
            else:
                editor.setValue(value)
        w.sample_panel.real_box.setChecked(True)
        w.sample_panel.prob_box.setChecked(True)
        w.docks["losses"].show()
        self.cfg = w.controls.config()
        self.paused_at: int | None = None
        self.steal: float | None = None  # CPU steal over the last timed segment
        self.gui_cpu = 0.0  # the GUI thread's CPU time / wall time over the last timed segment
        w.session.status_changed.connect(self._on_session_status)
        run_until(lambda: w.isVisible() and w.windowHandle().isExposed(), 30, "the window")
        hidden = [
            name
            for name, shown in (
                ("loss plots", w.loss_plot.isVisible()),
                ("sample panel", w.sample_panel.isVisible()),
                ("real batch", w.sample_panel.real_view.box.isVisible()),
            )
            if not shown
        ]
        if hidden:
            raise RuntimeError(f"not live in the window: {', '.join(hidden)}")
        w.controls.start_button.click()
        run_until(lambda: w.state == "running", 120, "training to start")
        if not w.timer.isActive():  # it runs while a session does
            raise RuntimeError("not live in the window: redraw timer")

    def _on_session_status(self, status: StatusSnapshot) -> None:
        if status.state == "paused":
            self.paused_at = status.step

    def last_step(self) -> int:
        steps = self.window.history.column("step")
        return int(steps[-1]) if len(steps) else -1

    def pause(self) -> None:
        self.paused_at = None
        self.window.session.pause()
        run_until(
            lambda: self.window.state == "paused" and self.paused_at is not None,
            120,
            "the window's trainer to pause",
        )

    def warm_up(self, iterations: int) -> None:
        run_until(lambda: self.last_step() >= iterations, 600, "the warm-up")
        self.pause()

    def segment(self, iterations: int) -> tuple[int, int, float]:
        first, last = segment_bounds(self.paused_at, iterations, self.cfg)
        self.probe.start()
        self.window.session.resume()
        run_until(lambda: self.last_step() >= first, 600, f"step {first}")
        began, cpu, steal = time.perf_counter(), time.thread_time(), CpuSteal.read()
        run_until(lambda: self.last_step() >= last, 600, f"step {last}")
        wall = time.perf_counter() - began  # as the GUI saw it, to within a redraw
        self.gui_cpu = (time.thread_time() - cpu) / wall  # this (the GUI) thread's share of a core
        self.steal = CpuSteal.share(steal, CpuSteal.read())
        self.pause()
        self.probe.stop()
        return first, last, wall

    def rate(self, first: int, last: int) -> float:
        h = self.window.history
        return trainer_clock_rate(
            h.column("step"), h.column("images_per_second"), first, last, self.cfg.optim.batch_size
        )

    def close(self) -> None:
        """Stop training (the window saves a checkpoint), wait for the thread, close."""
        w = self.window
        w.close()  # while training: asks to stop, and closes itself when the thread has ended
        run_until(lambda: not w.session.running and not w.isVisible(), 120, "the window to close")
        w.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def command_line() -> str:
    """This process's command, as a person would type it again (with QT_QPA_PLATFORM)."""
    python = sys.executable
    if python.startswith(os.getcwd() + os.sep):
        python = os.path.relpath(python)
    command = shlex.join([python, *sys.argv])
    if "QT_QPA_PLATFORM" in os.environ:
        command = f"QT_QPA_PLATFORM={shlex.quote(os.environ['QT_QPA_PLATFORM'])} {command}"
    return command


# ---- the measurements -------------------------------------------------------------------------
def measure_launch(count: int) -> list[dict[str, float]]:
    results = []
    for i in range(count):
        env = dict(os.environ)
        env[LAUNCH_ENV] = str(time.time_ns())
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH_CHILD],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the launch child failed ({done.returncode}):\n{done.stderr}")
        marks = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(marks)
        print(
            f"launch {i + 1}/{count}: window exposed after {marks['exposed']:.2f} s, its "
            f"views ready after {marks['ready']:.2f} s",
            file=sys.stderr,
        )
    return results


def measure_training(
    contestants: dict, iterations: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Timed segments of each contestant in turn, the order reversed every other round (ABBA),
    so a drift of the machine's speed falls on all of them alike."""
    results = {
        name: {"rate": [], "wall_rate": [], "steps": [], "cpu_steal": []} for name in contestants
    }
    for name, contestant in contestants.items():
        if hasattr(contestant, "gui_cpu"):
            results[name]["gui_thread_cpu"] = []
    for r in range(rounds):
        order = list(contestants) if r % 2 == 0 else list(contestants)[::-1]
        for name in order:
            contestant = contestants[name]
            batch = contestant.cfg.optim.batch_size
            first, last, wall = contestant.segment(iterations)
            results[name]["rate"].append(contestant.rate(first, last))
            results[name]["wall_rate"].append((last - first) * batch / wall)
            results[name]["steps"].append([first, last])
            results[name]["cpu_steal"].append(contestant.steal)
            if "gui_thread_cpu" in results[name]:
                results[name]["gui_thread_cpu"].append(contestant.gui_cpu)
        print(
            f"round {r + 1}/{rounds}: "
            + ", ".join(
                f"{n} {v['rate'][-1]:.0f} img/s"
                + (f" (steal {v['cpu_steal'][-1]:.0%})" if v["cpu_steal"][-1] is not None else "")
                for n, v in results.items()
            ),
            file=sys.stderr,
        )
    return results


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    wall_started = time.perf_counter()

    from dcgan_studio.gui.app import make_application

    app = make_application()
    launches = measure_launch(args.launches)

    values = {
        "model.image_size": args.image_size,
        "optim.batch_size": args.batch_size,
        "data.dataset": args.dataset,
        "runtime.device": args.device,
        "runtime.precision": args.precision,
        "schedule.iterations": 10**9,
    }
    probe = StallProbe(args.probe_ms)
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

    median = {name: statistics.median(v["rate"]) for name, v in results.items()}
    wall_median = {name: statistics.median(v["wall_rate"]) for name, v in results.items()}
    steals = [x for v in results.values() for x in v["cpu_steal"] if x is not None]
    ratio = median["windowed"] / median["headless"]
    # the two segments of a round run back to back: their ratio is the least touched by this
    # machine's drifts in speed, which can be larger than the window's cost
    round_ratios = [w / h for w, h in zip(results["windowed"]["rate"], results["headless"]["rate"])]
    lags = np.asarray(probe.lags)
    stall = {
        "ticks": int(lags.size),
        "interval_ms": args.probe_ms,
        **{f"p{q}_ms": float(np.percentile(lags, q)) for q in (50, 90, 99, 99.9)},
        "max_ms": float(lags.max()),
        "worst_ms": sorted(lags.tolist())[-10:][::-1],
    }
    launch_exposed = [m["exposed"] for m in launches]

    command = command_line()
    platform_name = QGuiApplication.platformName()
    layout = ", channels_last" if precision.channels_last else ""
    print(
        f"\nDCGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, "
        f"{args.dataset}, {cfg.runtime.device} ({precision.name}{layout}), "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}, PySide6 "
        f"{pyside_version}, Qt platform {platform_name}"
    )
    print(
        f"training, median of {args.rounds} interleaved rounds of ~{args.iterations} "
        "iterations (trainer's clock):"
    )
    print(f"  {Headless.label:<44} {median['headless']:7.0f} img/s")
    print(
        f"  {Windowed.label:<44} {median['windowed']:7.0f} img/s  {ratio:.2f}x headless "
        f"(goal >= 0.90)"
    )
    quiet = quiet_rounds([v["cpu_steal"] for v in results.values()])
    quiet_ratio = statistics.median(round_ratios[r] for r in quiet) if quiet else None
    print(
        f"  the rounds' own ratios: median {statistics.median(round_ratios):.2f}x ("
        + ", ".join(f"{r:.2f}" for r in round_ratios)
        + ")"
        + (
            f"; of the {len(quiet)} quiet round{'s' * (len(quiet) != 1)} (CPU steal at most "
            f"{QUIET_STEAL:.0%}): {quiet_ratio:.2f}x"
            if quiet
            else ""
        )
    )
    print(
        f"  (wall clock as the driver saw it: {wall_median['headless']:.0f} / "
        f"{wall_median['windowed']:.0f} img/s, "
        f"{wall_median['windowed'] / wall_median['headless']:.2f}x)"
    )
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
    print(
        f"GUI event-loop lag while training ({args.probe_ms} ms probe, {stall['ticks']} ticks): "
        f"p50 {stall['p50_ms']:.1f} ms, p99 {stall['p99_ms']:.1f} ms, max "
        f"{stall['max_ms']:.1f} ms (goal p99 < 50 ms)"
    )
    if launches:
        best = min(
            range(len(launches)),
            key=lambda i: abs(launch_exposed[i] - statistics.median(launch_exposed)),
        )
        m = launches[best]
        print(
            f"launch to exposed window (its progress page), median of {len(launches)}: "
            f"{statistics.median(launch_exposed):.2f} s (goal < 3 s); views built and painted "
            f"after {statistics.median(m['ready'] for m in launches):.2f} s  (that run: "
            f"interpreter {m['interpreter']:.2f}, exposed {m['exposed']:.2f} with the core "
            f"{'already' if m['core_loaded_when_exposed'] else 'not yet'} imported, views "
            f"built {m['views_built']:.2f}, painted {m['ready']:.2f} s)"
        )
    total = time.perf_counter() - wall_started
    print(f"command: {command}   ({total:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "platform": platform_name,
                    "config": cfg.to_dict(),
                    "precision": precision.reason,
                    "threads": torch.get_num_threads(),
                    "python": platform.python_version(),
                    "torch": torch.__version__,
                    "pyside6": pyside_version,
                    "training": results,
                    "median": median,
                    "wall_median": wall_median,
                    "ratio": ratio,
                    "round_ratios": round_ratios,
                    "quiet_rounds": quiet,
                    "quiet_ratio": quiet_ratio,
                    "stall": stall,
                    "launch": launches,
                    "launch_median_s": statistics.median(launch_exposed) if launches else None,
                    "launch_ready_median_s": (
                        statistics.median(m["ready"] for m in launches) if launches else None
                    ),
                    "seconds": total,
                },
                indent=2,
            )
        )
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
