"""What an idle studio window costs: CPU and repaints with nothing happening, per tab in front.

After a short run (the window's defaults, Start then Stop), nothing changes on screen, so
nothing should be drawn and the process should all but sleep (goal: under 2% of a core whatever
tab is in front). Each dock tab, and each learning workspace, is brought to the front in turn and
left alone for ``--seconds``; the process's CPU time (every thread: user + system) over that wall
time is its share of a core. The same is measured, in the same process and first, for a plain Qt
window with a pyqtgraph plot, the reference for what an idle Qt event loop costs on this machine.
Paused is measured too (with the Gradients and the Losses in front): training waits there, so
the window should be as quiet.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_idle.py [--seconds 10]
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_idle.py
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from common import print_command
from cpu_steal import CpuSteal
from machine import cpu_description
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget
from qt_common import run_until

from dcgan_studio.gui.app import make_application

# the studio's modules (torch with them) are loaded before the reference idles, so every row is
# measured in a process with the same code in it
from dcgan_studio.gui.main_window import MainWindow
from dcgan_studio.gui.workspaces import CONVOLUTION, GAN1D

GOAL = 0.02  # of one core


class PaintCount(QObject):
    """Paint events anywhere in the application (an application-wide event filter)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle_cost(app: QApplication, seconds: float, paints: PaintCount) -> dict[str, float]:
    """Settle a second, then run the event loop untouched for ``seconds``."""
    _idle(1.0)
    paints.count = 0
    wall, cpu, steal = time.perf_counter(), process_cpu(), CpuSteal.read()
    _idle(seconds)
    wall = time.perf_counter() - wall
    return {
        "cpu": (process_cpu() - cpu) / wall,
        "paints_per_s": paints.count / wall,
        "steal": CpuSteal.share(steal, CpuSteal.read()),
    }


def _idle(seconds: float) -> None:
    """The event loop for ``seconds``, woken by nothing of the benchmark's own until the end."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def reference_window() -> QMainWindow:
    """A plain Qt window of about the studio's kind: a plot of 80 points and a label."""
    window = QMainWindow()
    page = QWidget()
    column = QVBoxLayout(page)
    plot = pg.PlotWidget()
    plot.plot(np.arange(80.0), np.sin(np.arange(80.0) / 8))
    column.addWidget(plot)
    column.addWidget(QLabel("reference: a plain Qt window with one pyqtgraph plot"))
    window.setCentralWidget(page)
    window.resize(1600, 960)
    window.show()
    return window


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="idle time per tab")
    parser.add_argument("--iterations", type=int, default=300, help="the short run before")
    return parser.parse_args(argv)


def short_run(tmp: Path, iterations: int):
    """The studio window after ``iterations`` of the default run, still running."""
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow.create(tmp / "runs", settings=settings)
    window.frame.resize(1600, 960)
    window.frame.show()
    window.controls.editors["schedule.iterations"].setValue(iterations * 100)
    window.controls.start_button.click()
    history = window.run.history
    run_until(
        lambda: len(history) > 0 and history.column("step")[-1] >= iterations, 600, "the short run"
    )
    return window


def studio_rows(window, cost: Callable[[], dict[str, float]]) -> list[tuple[str, dict]]:
    """Paused, then stopped with each dock and each learning workspace in front in turn."""
    rows = []
    window.docks["gradients"].raise_()  # as issue 18 found it: Gradients in front, paused
    window.menus.pause.trigger()
    run_until(lambda: window.run.state == "paused", 60, "the pause")
    rows.append(("paused, Gradients in front", cost()))
    window.docks["losses"].raise_()
    rows.append(("paused, Losses in front", cost()))
    window.menus.stop.trigger()
    run_until(lambda: window.run.state == "idle" and not window.session.running, 120, "Stop")
    for dock in window.docks.values():
        dock.raise_()
        rows.append((f"stopped, {dock.windowTitle()} in front", cost()))
    for index, title in ((GAN1D, "1-D GAN playground"), (CONVOLUTION, "Convolution explorer")):
        window.workspaces.setCurrentIndex(index)
        rows.append((f"stopped, {title} tab", cost()))
    window.workspaces.show_training()
    return rows


def idle_rows(app: QApplication, seconds: float, iterations: int) -> list[tuple[str, dict]]:
    """The reference window, then the studio after its short run: a row each time in front."""
    paints = PaintCount()
    app.installEventFilter(paints)

    def cost() -> dict[str, float]:
        return idle_cost(app, seconds, paints)

    reference = reference_window()
    rows = [("reference: plain Qt window + plot", cost())]
    reference.close()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        window = short_run(Path(tmp), iterations)
        rows += studio_rows(window, cost)
        window.frame.close()
        run_until(lambda: not window.frame.isVisible(), 30, "the window to close")
    return rows


def print_report(args: argparse.Namespace, rows: list[tuple[str, dict[str, float]]]) -> None:
    print(
        f"\nidle window, {args.seconds:g} s per row after a {args.iterations}-iteration run; "
        f"CPU: {cpu_description()}; Qt platform {QGuiApplication.platformName()}"
    )
    print(f"  {'what is in front':<44} {'CPU (of a core)':>15} {'paints/s':>9}  steal")
    for what, row in rows:
        steal = "" if row["steal"] is None else f"{row['steal']:.0%}"
        print(f"  {what:<44} {row['cpu']:>14.1%} {row['paints_per_s']:>9.1f}  {steal}")
    worst = max(row["cpu"] for _, row in rows[1:])  # the studio's rows
    print(
        f"worst studio row {worst:.1%} of a core (goal < {GOAL:.0%}): "
        f"{'met' if worst < GOAL else 'NOT met'}; reference {rows[0][1]['cpu']:.1%}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    rows = idle_rows(make_application(), args.seconds, args.iterations)
    print_report(args, rows)
    print_command(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
