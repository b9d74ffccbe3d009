"""GUI fixtures: real windows with throwaway settings, and a check that no test leaks a visible
top-level widget or a running training thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

TINY = {"model.image_size": 16, "model.nz": 16, "model.ngf": 8, "model.ndf": 8,
        "optim.batch_size": 16, "schedule.seed": 3}


@pytest.fixture
def make_window(qtbot, tmp_path):
    from dcgan_studio.gui.app import apply_theme
    from dcgan_studio.gui.main_window import MainWindow

    apply_theme(QApplication.instance())
    windows = []

    def make(iterations: int = 400, settings_name: str = "settings.ini", **values):
        settings = QSettings(str(tmp_path / settings_name), QSettings.Format.IniFormat)
        window = MainWindow(tmp_path / "runs", log_path=str(tmp_path / "log.txt"),
                            settings=settings)
        qtbot.addWidget(window)
        editors = window.controls.editors
        for field, value in {**TINY, **values, "schedule.iterations": iterations}.items():
            editor = editors[field]
            if hasattr(editor, "findData"):
                editor.setCurrentIndex(editor.findData(value))
            else:
                editor.setValue(value)
        editors["runtime.device"].setCurrentIndex(editors["runtime.device"].findData("cpu"))
        editors["runtime.precision"].setCurrentIndex(
            editors["runtime.precision"].findData("fp32"))
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.session.running:
            window.session.shutdown()
            pytest.fail("a test left a training thread running")
        window.close()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for widget in leaked:
        widget.close()
    assert not leaked, f"a test leaked visible top-level widgets: {leaked}"
    for thread in threading.enumerate():  # background reads end on their own, promptly
        if thread.name == "dcgan-io":
            thread.join(timeout=20)
    assert not [t for t in threading.enumerate() if t.name.startswith("dcgan-")]
