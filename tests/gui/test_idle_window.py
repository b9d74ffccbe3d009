"""An idle window draws nothing (issue 18: after Stop with the Gradients in front the GUI thread
stayed at 95% of a core, repainting a plot whose range chased itself). What an idle window costs
in CPU is measured by ``benchmarks/bench_idle.py``; these tests check the mechanism: nothing is
repainted when nothing changed, and the window's redraw timer sleeps while no session runs."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from dcgan_studio.gui.workspaces import CONVOLUTION, GAN1D


class WindowPaints(QObject):
    """Paint events of every widget of the application."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.widgets: list[str] = []

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.widgets.append(type(obj).__name__ + ":" + (obj.objectName() or "?"))
        return False

    def quiet_for(self, qtbot, ms: int, settle_ms: int = 200, timeout_ms: int = 10_000) -> int:
        """Wait for ``settle_ms`` without a paint (what was due is drawn), then count the
        paints of the next ``ms``."""
        for _ in range(timeout_ms // settle_ms):
            before = self.count
            qtbot.wait(settle_ms)
            if self.count == before:
                break
        self.count, self.widgets = 0, []
        qtbot.wait(ms)
        return self.count


def _paints(qtbot):
    paints = WindowPaints()
    QApplication.instance().installEventFilter(paints)
    return paints


def test_after_a_run_no_panel_repaints_whatever_tab_is_in_front(qtbot, make_window):
    window = make_window(iterations=100_000)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=30_000)
    window.docks["gradients"].raise_()  # the reproduction: Gradients in front, then Stop
    qtbot.waitUntil(lambda: len(window.run.history) >= 8, timeout=60_000)
    window.menus.stop.trigger()
    qtbot.waitUntil(
        lambda: window.run.state == "idle" and not window.session.running, timeout=30_000
    )
    assert not window.timer.isActive()  # nothing to take from a session that ended
    # the run's last G is scored once it ended (the Quality tab): a change, then quiet
    qtbot.waitUntil(lambda: not window.quality_jobs.busy, timeout=120_000)
    window.frame.statusBar().clearMessage()  # a message that times out is a change: not counted
    paints = _paints(qtbot)
    try:
        assert paints.quiet_for(qtbot, 1000) == 0, paints.widgets
        for name, dock in window.docks.items():
            dock.raise_()
            assert paints.quiet_for(qtbot, 500) == 0, (name, paints.widgets)
        for tab in (GAN1D, CONVOLUTION):
            window.workspaces.setCurrentIndex(tab)
            assert paints.quiet_for(qtbot, 500) == 0, (tab, paints.widgets)
        window.workspaces.show_training()
    finally:
        QApplication.instance().removeEventFilter(paints)


def test_a_paused_run_repaints_nothing(qtbot, make_window):
    window = make_window(iterations=100_000)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.run.history) >= 4, timeout=60_000)
    window.menus.pause.trigger()
    qtbot.waitUntil(lambda: window.run.state == "paused", timeout=30_000)
    qtbot.waitUntil(lambda: not window.quality_jobs.busy, timeout=120_000)  # a score under way
    window.frame.statusBar().clearMessage()
    paints = _paints(qtbot)
    try:
        for name in ("gradients", "losses"):
            window.docks[name].raise_()
            assert paints.quiet_for(qtbot, 1000) == 0, (name, paints.widgets)
    finally:
        QApplication.instance().removeEventFilter(paints)
    window.menus.stop.trigger()
    qtbot.waitUntil(lambda: not window.session.running, timeout=30_000)
