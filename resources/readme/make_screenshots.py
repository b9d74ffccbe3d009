"""Screenshots of the real studio window for the README, made by training for a while.

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/readme/make_screenshots.py
    xvfb-run -a -s "-screen 0 1700x1100x24" .venv/bin/python resources/readme/make_screenshots.py

Starts the window with its settings and runs folder in a temporary directory, presses Start,
trains the built-in digits for ``--iterations`` steps, turns on the real batch beside the grid,
and writes ``window.png`` and one PNG per panel next to this file (or into ``--out``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def wait_until(app: QApplication, condition, timeout: float) -> bool:
    """Turn the event loop until ``condition()`` holds (True) or ``timeout`` s pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def settle(app: QApplication, seconds: float = 0.5) -> None:
    """Let the views redraw for ``seconds``."""
    wait_until(app, lambda: False, seconds)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1200)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    return parser.parse_args(argv)


def trained_window(app: QApplication, tmp: Path, iterations: int):
    """The studio (its ``MainWindow``) after ``iterations`` steps, paused, the real batch
    beside the grid; None when training did not get there in time."""
    from dcgan_studio.gui.main_window import MainWindow

    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow.create(tmp / "runs", settings=settings)
    window.frame.resize(1600, 960)
    window.frame.show()
    window.controls.editors["schedule.iterations"].setValue(iterations + 1000)
    window.quality_panel.interval_spin.setValue(3)  # more points on the Quality tab's curves
    window.controls.start_button.click()
    history = window.run.history
    if not wait_until(app, lambda: len(history) and history.column("step")[-1] >= iterations, 900):
        return None
    window.session.pause()
    wait_until(app, lambda: window.run.state == "paused", 30)
    window.sample_panel.real_box.setChecked(True)
    settle(app)
    return window


class Camera:
    """Saves a widget as it is on screen, a moment after the last change, as ``out/name``."""

    def __init__(self, app: QApplication, out: Path) -> None:
        self.app, self.out = app, out
        out.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, widget) -> None:
        settle(self.app, 0.3)
        widget.grab().save(str(self.out / name))
        print(f"wrote {self.out / name}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from dcgan_studio.gui.app import make_application

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        window = trained_window(app, Path(tmp), args.iterations)
        if window is None:
            print("training did not reach the iteration in time", file=sys.stderr)
            return 1
        shoot = Camera(app, args.out)
        shoot_inside(app, window, shoot)
        shoot_latent(app, window, shoot)
        shoot_training(app, window, shoot)
        shoot_quality(app, window, shoot)
        shoot_learning_tabs(app, window, shoot)
        if not shoot_runs(app, window, shoot):
            print("the branch did not train in time", file=sys.stderr)
            return 1
        window.frame.close()  # stops training (a checkpoint is saved), then closes
        wait_until(app, lambda: not window.session.running and not window.frame.isVisible(), 60)
    return 0


def shoot_inside(app: QApplication, window, shoot: Camera) -> None:
    """The feature maps of D and of G (and the whole window with D's), the architecture, the
    filters."""
    inspector, docks = window.inspector, window.docks
    maps = inspector.feature_maps

    def look(network: str, layer: str, source: str, index: int, channel: int) -> None:
        maps.network_box.setCurrentIndex(maps.network_box.findData(network))
        maps.layer_box.setCurrentIndex(maps.layer_box.findData(layer))
        inspector.select_sample(source, index)  # the engine answers at once, even paused
        wait_until(
            app,
            lambda: maps.snapshot is not None and maps.snapshot.request == inspector.model.request,
            30,
        )
        maps.select_channel(channel)

    docks["features"].raise_()
    look("d", "lrelu1", "real", 3, 5)
    shoot("panel-features-d.png", docks["features"].widget())
    shoot("window.png", window.frame)
    look("g", inspector.model.plans["g"].layers[-4].name, "fake", 3, 5)
    shoot("panel-features-g.png", docks["features"].widget())
    docks["architecture"].raise_()
    inspector.architecture.select_layer("g", "convT2")
    docks["architecture"].raise_()  # choosing a layer brings its feature maps to the front
    shoot("panel-architecture.png", docks["architecture"].widget())
    docks["filters"].raise_()
    shoot("panel-filters.png", docks["filters"].widget())


def shoot_latent(app: QApplication, window, shoot: Camera) -> None:
    """The latent space: three tiles of the grid pinned to the shelf, a path between two."""
    window.docks["latent"].raise_()
    latent = window.latent
    view = latent.view
    wait_until(
        app, lambda: latent.jobs.renderer is not None and view.main_view.shown is not None, 60
    )
    pinned = []
    for tile in (0, 5, 9):
        latent.take_tile(tile)
        view.pin_button.click()
        pinned.append(latent.model.shelf.ids()[-1])
    view.tabs.setCurrentWidget(view.interpolation)
    for uid in pinned[:2]:
        latent.model.interpolation.through.add(uid)
    wait_until(app, lambda: view.interpolation.frames is not None, 30)
    shoot("panel-latent.png", window.docks["latent"].widget())


def shoot_training(app: QApplication, window, shoot: Camera) -> None:
    """The data D sees as real, the gradients, the samples, the losses, the Training dock."""
    docks = window.docks
    docks["data"].raise_()
    window.data.preview(window.controls.config())  # what D sees as real
    wait_until(app, lambda: window.data.summary is not None, 60)
    shoot("panel-data.png", docks["data"].widget())
    docks["controls"].raise_()
    docks["gradients"].raise_()
    window.inspector.refresh_gradients()
    shoot("panel-gradients.png", docks["gradients"].widget())
    docks["losses"].raise_()
    shots = {
        "panel-samples.png": window.sample_panel,
        "panel-losses.png": window.loss_plot,
        "panel-controls.png": window.controls,
    }
    for name, widget in shots.items():
        shoot(name, widget)


def shoot_quality(app: QApplication, window, shoot: Camera) -> None:
    """The Quality tab: the scores so far, and the real images nearest to a tile of the grid."""
    window.docks["quality"].raise_()
    wait_until(app, lambda: not window.quality_jobs.busy, 60)
    window.sample_panel.tile_clicked.emit("fake", 5)  # as a click on the sixth tile
    nearest = window.quality_panel.nearest
    wait_until(app, lambda: nearest.found is not None, 120)
    shoot("panel-quality.png", window.docks["quality"].widget())


def shoot_learning_tabs(app: QApplication, window, shoot: Camera) -> None:
    """The 1-D GAN playground after it converged on the Gaussian and in mode collapse, and the
    three pages of the convolution explorer on a digit."""
    from dcgan_studio.gui.workspaces import CONVOLUTION, GAN1D

    tabs = window.workspaces
    tabs.setCurrentIndex(GAN1D)
    playground = tabs.playground

    def play_to(preset: str, steps: int, speed: int) -> None:
        box = playground.preset_combo
        box.setCurrentIndex(box.findText(preset))
        box.activated.emit(box.currentIndex())
        wait_until(app, lambda: playground.readouts["step"].text() == "0", 30)
        playground.speed_spin.setValue(speed)
        playground.play()
        wait_until(
            app, lambda: int(playground.readouts["step"].text().replace(",", "")) >= steps, 300
        )
        playground.pause()
        settle(app)

    play_to("Converge on a Gaussian (defaults)", 1500, 20)
    shoot("tab-gan1d.png", window.frame)
    play_to("Mode collapse on Two Gaussians", 700, 5)
    shoot("tab-gan1d-collapse.png", playground)
    tabs.setCurrentIndex(CONVOLUTION)
    explorer = tabs.convolution
    explorer.select_digit(3)
    explorer.kernel_page.editor.set_preset("edge")
    explorer.kernel_page.show_window(12, 9)
    shoot("tab-convolution.png", window.frame)
    explorer.tabs.setCurrentWidget(explorer.pooling_page)
    shoot("tab-convolution-pooling.png", explorer)
    explorer.tabs.setCurrentWidget(explorer.transposed_page)
    shoot("tab-convolution-transposed.png", explorer)
    tabs.show_training()


def shoot_runs(app: QApplication, window, shoot: Camera) -> bool:
    """Runs and Compare: the run stopped, a branch of it from its checkpoint at 800 with the
    paper's learning rates trained to 1,200 (through the Branch dialog), both compared."""
    window.controller.stop()
    if not wait_until(app, lambda: window.run.state == "idle", 120):
        return False
    parent = window.run.run_dir.root
    window.workspaces.show_runs()
    page = window.workspaces.runs
    wait_until(app, lambda: page.scans >= 1 and page.library.find(parent) is not None, 60)
    page.library_view.select_paths([parent])
    page.library_view.branch_button.click()
    if not wait_until(app, lambda: page.dialog is not None and page.dialog.isVisible(), 60):
        return False
    dialog = page.dialog
    steps = [dialog.checkpoint_box.itemData(i) for i in range(dialog.checkpoint_box.count())]
    dialog.checkpoint_box.setCurrentIndex(steps.index(max(s for s in steps if s <= 800)))
    dialog.editors["optim.lr_g"].setValue(2e-4)
    dialog.editors["optim.lr_d"].setValue(2e-4)
    dialog.editors["schedule.iterations"].setValue(1200)
    dialog.label_edit.setText("lr 0.0002 from 800")
    dialog.ok_button.click()
    if not wait_until(app, lambda: window.run.state == "running", 60):
        return False
    if not wait_until(app, lambda: not window.session.running, 600):
        return False
    wait_until(app, lambda: not window.quality_jobs.busy, 120)  # the branch's last score
    window.workspaces.show_runs()
    wait_until(app, lambda: page.scans >= 2 and len(page.library.summaries) >= 2, 60)
    branch = window.run.run_dir.root
    page.library_view.select_paths([branch])  # a branch alone: compared with its parent
    page.library_view.compare_button.click()
    wait_until(app, lambda: len(page.compare.runs) == 2, 60)
    page.compare.set_step(1000)
    wait_until(app, lambda: all(v.shown is not None for v in page.compare_view.views), 30)
    shoot("tab-runs-compare.png", window.frame)
    window.workspaces.show_training()
    return True


if __name__ == "__main__":
    sys.exit(main())
