"""The studio launched in a fresh interpreter, as ``python -m dcgan_studio`` launches it, and what
it had done when: the launch benchmark's measurement and the launch test's check.

``launch()`` runs this file as a child (a throwaway settings file and runs folder, nothing of the
user's) and returns the marks it printed as one JSON line: seconds from just before the parent
started it to the interpreter running, to the window being exposed (with its progress page, the
core importing on a thread meanwhile), to the views being built into it and painted; and what was
true when it was exposed (the core imported yet? the views built? which page showed), the class
of the content and its docks.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/launch_probe.py   # one launch's marks
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

LAUNCHED_NS = "DCGAN_BENCH_LAUNCHED_NS"  # time.time_ns() in the parent just before the child


def launch(env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """One launch in a fresh interpreter; its marks. ``env``: the child's environment (this
    process's by default). A child that fails raises ``RuntimeError`` with its stderr."""
    import subprocess  # here, not at the top: the child's first mark would count its import

    env = dict(os.environ if env is None else env)
    env[LAUNCHED_NS] = str(time.time_ns())
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the launch child failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _probe(t0: float) -> dict:
    """The child: the path of `python -m dcgan_studio` (cli -> gui.app -> open_window)."""
    marks: dict = {"interpreter": time.time() - t0}
    import tempfile

    from PySide6.QtCore import QEventLoop, QSettings

    import dcgan_studio.cli  # noqa: F401 (what `python -m dcgan_studio` imports first)
    from dcgan_studio.gui.app import make_application, open_window

    app = make_application(theme=False)

    def turn() -> None:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)

    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        frame = open_window(runs_root=Path(tmp) / "runs", settings=settings)
        deadline = time.monotonic() + 60
        while not (frame.windowHandle() and frame.windowHandle().isExposed()):
            if time.monotonic() > deadline:
                raise TimeoutError("the window was not exposed within 60 s")
            turn()
        marks["exposed"] = time.time() - t0  # with its progress page; the core loads on a thread
        marks["core_loaded_when_exposed"] = "dcgan_studio.core.engine" in sys.modules
        marks["built_when_exposed"] = frame.views_built
        marks["page_when_exposed"] = frame.centralWidget().objectName()
        while not frame.views_built:
            turn()
        marks["views_built"] = time.time() - t0
        app.processEvents()  # the first paint of the views
        marks["ready"] = time.time() - t0
        marks["class"] = type(frame.content).__name__
        marks["docks"] = sorted(frame.content.docks)
        frame.close()
        frame.deleteLater()
        app.processEvents()
    return marks


if __name__ == "__main__":
    launched = os.environ.get(LAUNCHED_NS)
    print(json.dumps(_probe(int(launched) / 1e9 if launched else time.time())))
