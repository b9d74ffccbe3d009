"""The mouse wheel over a panel scrolls it: a field takes the wheel only once it has focus (issue
18: scrolling down the Training dock over Batch size took it from 32 to 2, preset Custom)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dcgan_studio.gui.widgets.image_view import SliderBank


def _wheel_down(widget, notches: int = 1) -> None:
    """``notches`` turns of the wheel, towards the person, over the middle of ``widget``: through
    the window system, as a real wheel (Qt passes on only such events to a parent)."""
    top = widget.window()
    centre = widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))
    for _ in range(notches):
        QTest.wheelEvent(top.windowHandle(), QPointF(centre), QPoint(0, -120))
        QApplication.processEvents()


def test_the_wheel_over_a_setting_scrolls_the_training_dock(qtbot, make_window):
    window = make_window()
    window.frame.resize(1366, 768)
    qtbot.waitExposed(window.frame)
    controls = window.controls
    qtbot.waitUntil(lambda: controls.settings_scroll.isVisible(), timeout=5_000)
    controls.preset_box.setCurrentIndex(controls.preset_box.findData("quick"))
    controls.preset_box.activated.emit(controls.preset_box.currentIndex())  # Fast on a CPU
    scroll = controls.settings_scroll
    bar = scroll.verticalScrollBar()
    batch = controls.editors["model.nz"]  # a spin box and a combo box near the top
    size_box = controls.editors["model.channels"]
    qtbot.waitUntil(
        lambda: bar.maximum() > 0 and not batch.visibleRegion().isEmpty(), timeout=5_000
    )
    assert not size_box.visibleRegion().isEmpty()
    assert bar.value() < bar.maximum()
    start = bar.value()
    before = (batch.value(), size_box.currentIndex(), controls.preset_box.currentData())
    assert before[2] == "quick"
    window.frame.setFocus()  # the person's focus is elsewhere: on nothing in the dock
    _wheel_down(batch)
    assert bar.value() > start  # the settings scrolled instead
    bar.setValue(start)
    _wheel_down(size_box)
    assert bar.value() > start
    assert (batch.value(), size_box.currentIndex(), controls.preset_box.currentData()) == before
    # clicked into, the field takes the wheel (Qt's convention): one step down
    batch.setFocus()
    qtbot.waitUntil(batch.hasFocus, timeout=2_000)
    _wheel_down(batch)
    assert batch.value() == before[0] - batch.singleStep()


def test_the_wheel_over_a_latent_slider_scrolls_the_rows(qtbot):
    bank = SliderBank(-3.0, 3.0)
    qtbot.addWidget(bank)
    bank.resize(300, 200)
    bank.show()
    bank.set_rows([f"z{i}" for i in range(40)])  # made after the window: guarded when made
    moved = []
    bank.moved.connect(lambda i, v: moved.append((i, v)))
    qtbot.waitExposed(bank)
    qtbot.waitUntil(
        lambda: (
            not bank.sliders[1].visibleRegion().isEmpty() and bank.verticalScrollBar().maximum() > 0
        ),
        timeout=5_000,
    )  # laid out
    _wheel_down(bank.sliders[1], 2)
    assert moved == [] and bank.verticalScrollBar().value() > 0
