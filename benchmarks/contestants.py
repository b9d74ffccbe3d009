"""The contestants of the window's training benchmarks, and the interleaved rounds they run in.

``Headless`` is ``Trainer.run()`` on the main thread with no Qt work (what ``dcgan-studio train``
does); ``Windowed`` is the studio window, shown, every panel live, driven through its controls.
Both train in segments that their own engine pauses and resumes, and both are timed by the
trainer's clock (``images_per_second`` of its logged rows) over the same kind of step range:
from one logged step that is not a grid or checkpoint step to another (``segment_bounds``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from common import print_round
from cpu_steal import CpuSteal
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from qt_common import StallProbe, run_until

from dcgan_studio.config import RunConfig
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import ScalarSnapshot, StatusSnapshot


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


def set_fields(controls, values: dict) -> None:
    """Type ``values`` (dotted config fields) into the Training dock, as a person would."""
    for field, value in values.items():
        editor = controls.editors[field]
        if hasattr(editor, "findData"):
            index = editor.findData(value)
            if index < 0:
                raise ValueError(f"{field}: no choice {value!r} in the window")
            editor.setCurrentIndex(index)
        else:
            editor.setValue(value)


class Windowed:
    """The studio window, shown, every panel live, driven through its controls and session."""

    label = "window open, all panels live (QThread)"

    def __init__(self, values: dict, tmp: Path, probe: StallProbe) -> None:
        from dcgan_studio.gui.main_window import MainWindow

        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        self.window = w = MainWindow.create(
            tmp / "runs", log_path=str(tmp / "log.txt"), settings=settings
        )
        self.frame, self.probe = w.frame, probe
        self.frame.resize(1440, 900)
        self.frame.show()
        set_fields(w.controls, values)
        w.sample_panel.real_box.setChecked(True)
        w.sample_panel.prob_box.setChecked(True)
        w.docks["losses"].show()
        self.cfg = w.controls.config()
        self.paused_at: int | None = None
        self.steal: float | None = None  # CPU steal over the last timed segment
        self.gui_cpu = 0.0  # the GUI thread's CPU time / wall time over the last timed segment
        w.session.status_changed.connect(self._on_session_status)
        run_until(
            lambda: self.frame.isVisible() and self.frame.windowHandle().isExposed(),
            30,
            "the window",
        )
        self._check_live()
        w.controls.start_button.click()
        run_until(lambda: w.run.state == "running", 120, "training to start")
        if not w.timer.isActive():  # it runs while a session does
            raise RuntimeError("not live in the window: redraw timer")

    def _check_live(self) -> None:
        """Every view the contestant is meant to draw is on screen."""
        w = self.window
        views = {
            "loss plots": w.loss_plot,
            "sample panel": w.sample_panel,
            "real batch": w.sample_panel.real_view.box,
        }
        hidden = [name for name, view in views.items() if not view.isVisible()]
        if hidden:
            raise RuntimeError(f"not live in the window: {', '.join(hidden)}")

    def _on_session_status(self, status: StatusSnapshot) -> None:
        if status.state == "paused":
            self.paused_at = status.step

    def last_step(self) -> int:
        steps = self.window.run.history.column("step")
        return int(steps[-1]) if len(steps) else -1

    def pause(self) -> None:
        self.paused_at = None
        self.window.session.pause()
        run_until(
            lambda: self.window.run.state == "paused" and self.paused_at is not None,
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
        h = self.window.run.history
        return trainer_clock_rate(
            h.column("step"), h.column("images_per_second"), first, last, self.cfg.optim.batch_size
        )

    def close(self) -> None:
        """Stop training (the window saves a checkpoint), wait for the thread, close."""
        frame, session = self.frame, self.window.session
        frame.close()  # while training: asks to stop, and closes itself when the thread has ended
        run_until(lambda: not session.running and not frame.isVisible(), 120, "the window to close")
        frame.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


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
            contestant, row = contestants[name], results[name]
            first, last, wall = contestant.segment(iterations)
            row["rate"].append(contestant.rate(first, last))
            row["wall_rate"].append((last - first) * contestant.cfg.optim.batch_size / wall)
            row["steps"].append([first, last])
            row["cpu_steal"].append(contestant.steal)
            if "gui_thread_cpu" in row:
                row["gui_thread_cpu"].append(contestant.gui_cpu)
        print_round(
            r,
            rounds,
            {n: v["rate"][-1] for n, v in results.items()},
            {n: v["cpu_steal"][-1] for n, v in results.items()},
        )
    return results
