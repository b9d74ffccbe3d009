"""Screenshots of the real studio window for the README, made by training for a while.

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/readme/make_screenshots.py
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python resources/readme/make_screenshots.py

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
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)

    from dcgan_studio.gui.app import make_application
    from dcgan_studio.gui.main_window import MainWindow

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(Path(tmp) / "runs", settings=settings)
        window.resize(1440, 900)
        window.show()
        window.controls.editors["schedule.iterations"].setValue(args.iterations + 1000)
        window.controls.start_button.click()
        if not wait_until(app, lambda: len(window.history) and
                          window.history.column("step")[-1] >= args.iterations, 900):
            print("training did not reach the iteration in time", file=sys.stderr)
            return 1
        window.session.pause()
        wait_until(app, lambda: window.state == "paused", 30)
        window.sample_panel.real_box.setChecked(True)
        wait_until(app, lambda: False, 0.5)  # let the views settle
        args.out.mkdir(parents=True, exist_ok=True)
        shots = {"window.png": window, "panel-samples.png": window.sample_panel,
                 "panel-losses.png": window.loss_plot, "panel-controls.png": window.controls}
        for name, widget in shots.items():
            widget.grab().save(str(args.out / name))
            print(f"wrote {args.out / name}")
        window.close()
        wait_until(app, lambda: not window.session.running, 60)
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
