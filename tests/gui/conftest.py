"""GUI fixtures: real windows with throwaway settings, and a check that no test leaks a visible
top-level widget or a running training thread."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication

TINY = {
    "model.image_size": 16,
    "model.nz": 16,
    "model.ngf": 8,
    "model.ndf": 8,
    "optim.batch_size": 16,
    "schedule.seed": 3,
}


@pytest.fixture(scope="session", autouse=True)
def _garbage_collected_on_the_gui_thread(qapp):
    """As in the app (every window does it): worker threads never run the cyclic collector."""
    from dcgan_studio.gui.workers import collect_garbage_on_gui_thread

    collect_garbage_on_gui_thread()


def studio_threads() -> list[threading.Thread]:
    """The studio's worker threads still alive (every one is named ``dcgan-...``)."""
    return [t for t in threading.enumerate() if t.name.startswith("dcgan-")]


def join_studio_threads(timeout: float = 30) -> list[threading.Thread]:
    """Wait for the studio's worker threads to end (they end once idle); those still alive."""
    for thread in studio_threads():
        thread.join(timeout=timeout)
    return studio_threads()


@pytest.fixture
def shown(qtbot):
    """``shown(widget, width, height)``: the widget on screen at that size, closed after the
    test; afterwards no worker thread of the studio may be left running."""

    def show(widget, width: int, height: int):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    yield show
    assert not join_studio_threads(), "a test left a dcgan- worker thread running"


@pytest.fixture
def make_window(qtbot, tmp_path):
    from dcgan_studio.gui.app import apply_theme
    from dcgan_studio.gui.main_window import MainWindow

    apply_theme(QApplication.instance())
    windows = []

    def make(iterations: int = 400, settings_name: str = "settings.ini", **values):
        settings = QSettings(str(tmp_path / settings_name), QSettings.Format.IniFormat)
        window = MainWindow.create(
            tmp_path / "runs", log_path=str(tmp_path / "log.txt"), settings=settings
        )
        qtbot.addWidget(window.frame)
        editors = window.controls.editors
        for field, value in {**TINY, **values, "schedule.iterations": iterations}.items():
            editor = editors[field]
            if hasattr(editor, "findData"):
                editor.setCurrentIndex(editor.findData(value))
            else:
                editor.setValue(value)
        editors["runtime.device"].setCurrentIndex(editors["runtime.device"].findData("cpu"))
        editors["runtime.precision"].setCurrentIndex(editors["runtime.precision"].findData("fp32"))
        editors["runtime.deterministic"].setChecked(True)  # the same bits in every run
        window.frame.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.session.running:
            window.session.shutdown()
            pytest.fail("a test left a training thread running")
        window.frame.close()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for widget in leaked:
        widget.close()
    assert not leaked, f"a test leaked visible top-level widgets: {leaked}"
    assert not join_studio_threads(timeout=20), "a window left a dcgan- worker thread running"


class PaintCounter(QObject):
    """Counts the paint events a widget receives (for a QGraphicsView: give its viewport)."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        self.widget = widget
        widget.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False

    def settle(self, qtbot, quiet_ms: int = 150, timeout_ms: int = 5000) -> None:
        """Wait until the widget has gone ``quiet_ms`` without a paint (earlier updates are
        done, on a busy machine too), then count from zero."""
        for _ in range(max(1, timeout_ms // quiet_ms)):
            before = self.count
            qtbot.wait(quiet_ms)
            if self.count == before:
                break
        else:
            raise AssertionError(f"{self.widget} kept painting for {timeout_ms} ms")
        self.count = 0


@pytest.fixture
def count_paints():
    """``count_paints(widget)`` starts counting that widget's paint events."""
    counters: list[PaintCounter] = []

    def start(widget) -> PaintCounter:
        counters.append(PaintCounter(widget))
        return counters[-1]

    yield start
    for counter in counters:
        counter.widget.removeEventFilter(counter)
