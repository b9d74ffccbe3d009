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
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=1200)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)

    from dcgan_studio.gui.app import make_application
    from dcgan_studio.gui.main_window import MainWindow

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(Path(tmp) / "runs", settings=settings)
        window.resize(1600, 960)
        window.show()
        window.controls.editors["schedule.iterations"].setValue(args.iterations + 1000)
        window.controls.start_button.click()
        if not wait_until(
            app,
            lambda: len(window.history) and window.history.column("step")[-1] >= args.iterations,
            900,
        ):
            print("training did not reach the iteration in time", file=sys.stderr)
            return 1
        window.session.pause()
        wait_until(app, lambda: window.state == "paused", 30)
        window.sample_panel.real_box.setChecked(True)
        wait_until(app, lambda: False, 0.5)  # let the views settle
        args.out.mkdir(parents=True, exist_ok=True)

        def shoot(name: str, widget) -> None:
            wait_until(app, lambda: False, 0.3)
            widget.grab().save(str(args.out / name))
            print(f"wrote {args.out / name}")

        maps, docks = window.inspector.feature_maps, window.docks

        def look(network: str, layer: str, source: str, index: int, channel: int) -> None:
            maps.network_box.setCurrentIndex(maps.network_box.findData(network))
            maps.layer_box.setCurrentIndex(maps.layer_box.findData(layer))
            maps.select_sample(source, index)  # the engine answers at once, even paused
            wait_until(
                app,
                lambda: maps.snapshot is not None and maps.snapshot.request == maps.request(),
                30,
            )
            maps.select_channel(channel)

        docks["features"].raise_()
        look("d", "lrelu1", "real", 3, 5)
        shoot("panel-features-d.png", docks["features"].widget())
        shoot("window.png", window)
        look("g", maps.plans["g"].layers[-4].name, "fake", 3, 5)
        shoot("panel-features-g.png", docks["features"].widget())
        docks["architecture"].raise_()
        window.inspector.architecture.select_layer("g", "convT2")
        shoot("panel-architecture.png", docks["architecture"].widget())
        docks["filters"].raise_()
        shoot("panel-filters.png", docks["filters"].widget())
        docks["latent"].raise_()
        explorer = window.explorer
        wait_until(
            app, lambda: explorer.renderer is not None and explorer.main_view.shown is not None, 60
        )
        pinned = []
        for tile in (0, 5, 9):  # three tiles of the grid, pinned to the shelf
            explorer.take_tile(tile)
            explorer.pin()
            pinned.append(explorer.shelf.ids()[-1])
        explorer.tabs.setCurrentWidget(explorer.interpolation)
        for vector in pinned[:2]:
            explorer.interpolation.picker.add(vector)
        wait_until(app, lambda: explorer.interpolation.frames is not None, 30)
        shoot("panel-latent.png", docks["latent"].widget())
        docks["data"].raise_()
        window.data_panel.preview(window.controls.config())  # what D sees as real
        wait_until(app, lambda: window.data_panel.summary is not None, 60)
        shoot("panel-data.png", docks["data"].widget())
        docks["controls"].raise_()
        docks["gradients"].raise_()
        window.inspector.gradients.refresh()
        shoot("panel-gradients.png", docks["gradients"].widget())
        docks["losses"].raise_()
        shots = {
            "panel-samples.png": window.sample_panel,
            "panel-losses.png": window.loss_plot,
            "panel-controls.png": window.controls,
        }
        for name, widget in shots.items():
            shoot(name, widget)
        shoot_learning_tabs(app, window, shoot)
        window.close()
        wait_until(app, lambda: not window.session.running, 60)
        window.close()
    return 0


def shoot_learning_tabs(app, window, shoot) -> None:
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
        wait_until(app, lambda: False, 0.5)

    play_to("Converge on a Gaussian (defaults)", 1500, 20)
    shoot("tab-gan1d.png", window)
    play_to("Mode collapse on Two Gaussians", 700, 5)
    shoot("tab-gan1d-collapse.png", playground)
    tabs.setCurrentIndex(CONVOLUTION)
    explorer = tabs.convolution
    explorer.select_digit(3)
    explorer.kernel_page.editor.set_preset("edge")
    explorer.kernel_page.show_window(12, 9)
    shoot("tab-convolution.png", window)
    explorer.tabs.setCurrentWidget(explorer.pooling_page)
    shoot("tab-convolution-pooling.png", explorer)
    explorer.tabs.setCurrentWidget(explorer.transposed_page)
    shoot("tab-convolution-transposed.png", explorer)
    tabs.show_training()


if __name__ == "__main__":
    sys.exit(main())
