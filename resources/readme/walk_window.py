"""A walk through the whole studio window, as a new user takes it, with a screenshot of each state.

    make walk     (both screen sizes under Xvfb, into walk/)
    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python resources/readme/walk_window.py \
        --size 1366x768 --out walk/1366x768

At one screen size, with the window filling the screen and throwaway settings and runs: launch,
Start, every tab of every dock in turn and both learning workspaces, Pause, Step / Step D /
Step G, Stop, File > Follow Run on a trainer in another process (and after it is killed), quit
(Ctrl+Q), launch again (the saved layout restored), View > Reset Layout. Each
state is one PNG named by its number and what it shows, and ``walk.txt`` beside them lists, per
state, where the centre and each visible dock stand, so a starved centre or a hidden panel can be
read without opening the pictures. Look at every picture before calling a screen done.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from make_screenshots import settle, wait_until  # this folder is on sys.path as a script's
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

DOCK_TABS = (
    "controls",
    "data",
    "losses",
    "gradients",
    "features",
    "architecture",
    "filters",
    "latent",
)
SETTLE_S = 0.6  # the views redraw before each picture


class Walk:
    def __init__(self, app: QApplication, out: Path, size: tuple[int, int], tmp: Path) -> None:
        self.app, self.out, self.size, self.tmp = app, out, size, tmp
        self.count = 0
        self.notes: list[str] = []
        self.window = None  # the studio (a MainWindow) of the last launch

    def launch(self):
        """A window as `dcgan-studio` opens one (``open_window``: the frame at once, the views
        built into it), the settings file kept between launches; the studio in it."""
        from dcgan_studio.gui.app import open_window

        settings = QSettings(str(self.tmp / "settings.ini"), QSettings.Format.IniFormat)
        first = settings.value("geometry") is None
        frame = open_window(runs_root=self.tmp / "runs", settings=settings)
        if first:  # a first launch at this screen's size
            frame.resize(*self.size)
        if not wait_until(self.app, lambda: frame.views_built, 120):
            raise RuntimeError("the window's views were not built within 2 minutes")
        settle(self.app, 1.0)
        self.window = frame.content
        return self.window

    def shoot(self, what: str) -> None:
        settle(self.app, SETTLE_S)
        self.count += 1
        name = f"{self.count:02d}-{what}.png"
        self.window.frame.grab().save(str(self.out / name))
        self.notes.append(f"{name}: {describe_layout(self.window)}")
        print(f"wrote {self.out / name}", flush=True)

    def quit(self) -> None:
        """File > Quit, and wait for the window to go."""
        frame = self.window.frame
        frame.close()
        wait_until(self.app, lambda: not frame.isVisible(), 30)
        frame.deleteLater()
        settle(self.app, SETTLE_S)


def describe_layout(window) -> str:
    """Where the centre and the docks on screen stand, in pixels of the window."""
    frame = window.frame
    centre = frame.centralWidget().geometry()
    parts = [
        f"window {frame.width()}x{frame.height()}",
        f"centre {centre.width()}x{centre.height()} at x={centre.x()}",
    ]
    for name, dock in window.docks.items():
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            g = dock.geometry()
            parts.append(f"{name} {g.width()}x{g.height()} at ({g.x()},{g.y()})")
    hidden = [name for name, dock in window.docks.items() if not dock.isVisible()]
    if hidden:
        parts.append("hidden: " + ", ".join(hidden))
    return "; ".join(parts)


def train_and_tour(w: Walk, iterations: int) -> bool:
    """Start, then every tab of every dock and both learning workspaces while training goes on;
    False when training did not reach ``iterations`` in time."""
    from dcgan_studio.gui.workspaces import CONVOLUTION, GAN1D

    app, window = w.app, w.window
    window.controls.editors["schedule.iterations"].setValue(iterations * 10)
    window.controls.start_button.click()
    history = window.run.history
    if not wait_until(app, lambda: len(history) and history.column("step")[-1] >= iterations, 600):
        return False
    w.shoot("training")
    for name in DOCK_TABS:
        window.docks[name].raise_()
        if name == "data":
            window.data.preview(window.controls.config())
            wait_until(app, lambda: window.data.summary is not None, 60)
        if name == "latent":
            wait_until(app, lambda: window.latent.jobs.renderer is not None, 60)
        w.shoot(f"tab-{name}")
    for name in ("controls", "losses", "features"):  # the default tabs in front again
        window.docks[name].raise_()
    window.workspaces.setCurrentIndex(GAN1D)
    w.shoot("workspace-gan1d")
    window.workspaces.setCurrentIndex(CONVOLUTION)
    w.shoot("workspace-convolution")
    window.workspaces.show_training()
    return True


def pause_step_stop(w: Walk, readme: Path | None) -> None:
    """Pause, Step / Step D / Step G, Stop; the paused main view for the README if asked."""
    app, window = w.app, w.window
    window.menus.pause.trigger()
    wait_until(app, lambda: window.run.state == "paused", 30)
    w.shoot("paused")
    if readme is not None:  # the README's main view: the window as it is now
        window.frame.grab().save(str(readme))
        print(f"wrote {readme}", flush=True)
    history = window.run.history
    for button in ("step_button", "step_d_button", "step_g_button"):
        before = len(history)
        getattr(window.controls, button).click()
        wait_until(app, lambda b=before: len(history) > b, 30)
        w.shoot(f"after-{button.removesuffix('_button').replace('_', '-')}")
    window.menus.stop.trigger()
    wait_until(app, lambda: window.run.state == "idle" and not window.session.running, 60)
    w.shoot("stopped")
    window.workspaces.show_runs()  # the runs library, with the run just stopped in it
    page = window.workspaces.runs
    wait_until(app, lambda: page.scans >= 1 and page.library_view.table.rowCount() > 0, 60)
    page.library_view.select_paths([window.run.run_dir.root])
    w.shoot("workspace-runs")
    window.workspaces.show_training()


def follow_a_trainer(w: Walk) -> bool:
    """File > Follow Run on a `dcgan-studio train` in another process: the window as its lines
    land (banner, read-only controls), then after the trainer is killed, then Stop Following.
    False when the trainer wrote nothing in time."""
    import subprocess

    app, window = w.app, w.window
    folder = w.tmp / "runs" / "trained-elsewhere"
    flags = "--image-size 32 --log-every 5 --sample-every 20 --checkpoint-every 40 --no-progress"
    trainer = subprocess.Popen(
        [sys.executable, "-m", "dcgan_studio", "train", *flags.split()]
        + ["--iterations", "100000", "--run-dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_until(app, lambda: (folder / "checkpoints" / "step-0000040").is_dir(), 300):
            return False
        window.follow_run(folder)
        history = window.run.history
        if not wait_until(app, lambda: len(history) and history.column("step")[-1] >= 80, 300):
            return False
        w.shoot("following")
        window.docks["latent"].raise_()
        wait_until(app, lambda: window.latent.jobs.renderer is not None, 60)
        w.shoot("following-latent")
        window.docks["features"].raise_()
        trainer.kill()
        trainer.wait(30)
        wait_until(app, lambda: window.follow_banner.state not in ("training", "unknown"), 60)
        w.shoot("following-writer-stopped")
        window.menus.stop_following.trigger()
        w.shoot("stopped-following")
        return True
    finally:
        if trainer.poll() is None:
            trainer.kill()
            trainer.wait(30)


def walk(
    app: QApplication, out: Path, size: tuple[int, int], iterations: int, readme: Path | None = None
) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        w = Walk(app, out, size, Path(tmp))
        w.launch()
        w.shoot("launched")
        if not train_and_tour(w, iterations):
            print("training did not reach the iteration in time", file=sys.stderr)
            return 1
        pause_step_stop(w, readme)
        if not follow_a_trainer(w):
            print("the followed trainer wrote nothing in time", file=sys.stderr)
            return 1
        w.quit()
        window = w.launch()  # the layout and geometry as the last session left them
        w.shoot("relaunched")
        window.menus.reset_layout.trigger()
        w.shoot("reset-layout")
        window.frame.close()
        (out / "walk.txt").write_text("\n".join(w.notes) + "\n")
        print(f"wrote {out / 'walk.txt'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1366x768", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--out", type=Path, default=Path("walk"))
    parser.add_argument(
        "--iterations", type=int, default=300, help="train this far before looking at the docks"
    )
    parser.add_argument("--readme", type=Path, help="also save the paused main view here")
    parser.add_argument(
        "--follow-only", action="store_true", help="only launch and follow a trainer elsewhere"
    )
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))

    from dcgan_studio.gui.app import make_application

    app = make_application()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.follow_only:
        return walk_following(app, args.out, size)
    return walk(app, args.out, size, args.iterations, args.readme)


def walk_following(app: QApplication, out: Path, size: tuple[int, int]) -> int:
    """The following states alone, in a fresh window."""
    with tempfile.TemporaryDirectory() as tmp:
        w = Walk(app, out, size, Path(tmp))
        w.launch()
        ok = follow_a_trainer(w)
        w.window.frame.close()
        (out / "walk.txt").write_text("\n".join(w.notes) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
