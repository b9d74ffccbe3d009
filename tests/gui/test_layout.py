"""The window's layout as a new user meets it (issue 18): Reset Layout brings every panel back,
a restored layout leaves the centre at least half the window, and the Training dock keeps its
run buttons in sight and never scrolls sideways."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QLabel

from dcgan_studio.gui.app import open_window
from dcgan_studio.gui.dock_layout import DOCK_GROUPS, DOCKS, fitted, side_budget, side_widths


def _launch(qtbot, tmp_path, size: tuple[int, int] | None = None):
    """The window as `dcgan-studio` opens it: the frame first, the views built into it."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    frame = open_window(runs_root=tmp_path / "runs", settings=settings)
    qtbot.addWidget(frame)
    if size is not None:
        frame.resize(*size)
    qtbot.waitUntil(lambda: frame.views_built, timeout=120_000)
    qtbot.wait(100)  # the layout settles on the next turns of the event loop
    return frame.content


def _quit(qtbot, window) -> None:
    window.frame.close()
    qtbot.waitUntil(lambda: not window.frame.isVisible(), timeout=10_000)


def _in_front(window, name: str) -> bool:
    dock = window.docks[name]
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _centre_share(window) -> float:
    return window.frame.centralWidget().width() / window.frame.width()


def _is_default(window) -> bool:
    docks = window.docks
    return all(
        docks[n].toggleViewAction().isChecked()
        and not docks[n].isFloating()
        and window.frame.dockWidgetArea(docks[n]) == DOCKS[n][1]
        for n in docks
    ) and all(_in_front(window, group[0]) for group in DOCK_GROUPS)


def test_reset_layout_brings_back_every_default_dock(qtbot, tmp_path):
    window = _launch(qtbot, tmp_path, (1366, 768))
    try:
        window.menus.reset_layout.trigger()  # the reproduction: launch, View > Reset Layout
        qtbot.waitUntil(lambda: _is_default(window), timeout=5_000)
        assert window.controls.start_button.isVisible()
        # and from a layout a person has changed: panels closed, one floating, one moved
        window.docks["controls"].close()
        window.docks["features"].close()
        window.docks["losses"].setFloating(True)
        window.frame.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.docks["latent"])
        qtbot.wait(50)
        assert not _is_default(window)
        window.menus.reset_layout.trigger()
        qtbot.waitUntil(lambda: _is_default(window), timeout=5_000)
        assert _centre_share(window) >= 0.5
        tabs = window.frame.tabifiedDockWidgets(window.docks["features"])
        assert {window.docks[n] for n in ("architecture", "filters", "latent")} <= set(tabs)
    finally:
        _quit(qtbot, window)


# one launch of the studio on a screen of a given size (Qt's offscreen platform, configured),
# as `dcgan-studio` starts it, with a settings file kept between launches: it does what its
# argument says, then prints where the window and its docks stand and quits as Ctrl+Q does
LAUNCH_ON_SCREEN = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, Qt
from PySide6.QtWidgets import QTabBar
from dcgan_studio.gui.app import make_application, open_window
settings_path, runs, action = sys.argv[1:4]
app = make_application(theme=False)

def wait(ms):
    loop = QEventLoop()
    from PySide6.QtCore import QTimer
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

frame = open_window(runs_root=Path(runs), settings=QSettings(settings_path,
                                                             QSettings.Format.IniFormat))
while not frame.views_built:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
window = frame.content
wait(300)
if action == "widen":  # as a person who dragged both side docks wide
    window.frame.resizeDocks([window.docks["controls"], window.docks["features"]], [640, 600],
                       Qt.Orientation.Horizontal)
    wait(300)
elif action.startswith("resize:"):
    window.frame.resize(*map(int, action.split(":")[1].split("x")))
    wait(300)
screen = window.frame.screen().availableGeometry()
tabs = window.workspaces.tabBar()
print(json.dumps({
    "screen": [screen.width(), screen.height()],
    "window": [window.frame.width(), window.frame.height()],
    "centre": window.frame.centralWidget().width(),
    "docks": {n: [d.width(), d.isVisible()] for n, d in window.docks.items()},
    "tabs_in_sight": all(tabs.tabRect(i).right() <= tabs.width() for i in range(tabs.count())),
    "dock_tabs_whole": all(  # no dock tab's title cut short ("Feature ma...")
        sum(bar.tabSizeHint(i).width() for i in range(bar.count())) <= bar.width()
        for bar in window.frame.findChildren(QTabBar) if bar.isVisible() and
        bar.parent() is window.frame),
}))
window.frame.close()
"""


def _launch_on_screen(tmp_path, screen: tuple[int, int], action: str = "") -> dict:
    config = tmp_path / f"screen-{screen[0]}x{screen[1]}.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "screen",
                        "x": 0,
                        "y": 0,
                        "width": screen[0],
                        "height": screen[1],
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LAUNCH_ON_SCREEN,
            str(tmp_path / "settings.ini"),
            str(tmp_path / "runs"),
            action,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_layout_saved_on_a_larger_screen_fits_a_smaller_one_with_the_centre_half(tmp_path):
    first = _launch_on_screen(tmp_path, (1920, 1080), "widen")
    assert first["docks"]["controls"][0] >= 560  # wide docks saved with the layout
    again = _launch_on_screen(tmp_path, (1366, 768))  # the same settings, a laptop's screen
    assert again["window"][0] <= 1366 and again["window"][1] <= 768
    assert again["centre"] >= again["window"][0] / 2, again
    assert all(visible for _, visible in again["docks"].values())
    assert again["tabs_in_sight"]  # the workspace tabs are not behind scroll arrows
    assert again["dock_tabs_whole"]
    smaller = _launch_on_screen(tmp_path, (1366, 768), "resize:1024x700")  # a smaller window
    assert smaller["centre"] >= smaller["window"][0] / 2, smaller
    relaunched = _launch_on_screen(tmp_path, (1366, 768))  # and the next launch is the same
    fronts = [group[0] for group in DOCK_GROUPS]  # the docks in sight (the others are tabbed)
    assert [relaunched["docks"][n] for n in fronts] == [smaller["docks"][n] for n in fronts]
    assert relaunched["centre"] == smaller["centre"] and relaunched["window"] == [1024, 700]


def test_the_side_docks_share_the_half_the_centre_leaves_them():
    assert side_widths(1920) == (360, 538)  # right bounded by the share, left by its range
    for width in (1024, 1366, 1600, 1920, 2560):
        left, right = side_widths(width, left_min=294)
        assert left + right <= side_budget(width) < width / 2 and left >= 294
    assert fitted(1366, 300, 350) is None  # they fit: nothing to do
    assert fitted(1366, 640, 600) == side_widths(1366) == (280, 382)  # the defaults of 1366
    assert side_widths(1024, 294, 353) == (294, 353)  # a small window: both at their minimum
    assert side_widths(1280) == (273, 351)  # in proportion, at most the budget
    assert fitted(1366, 640, 600, left_min=400) == (400, 267)  # not below a dock's minimum


@pytest.mark.parametrize("size", [(1366, 768), (800, 600)])
def test_the_training_dock_never_scrolls_sideways_and_keeps_its_buttons_in_sight(
    qtbot, make_window, size
):
    window = make_window()
    window.frame.resize(*size)
    controls = window.controls
    qtbot.waitUntil(lambda: controls.settings_scroll.isVisible(), timeout=5_000)
    qtbot.wait(100)
    scroll = controls.settings_scroll
    viewport = scroll.viewport()
    iterations = controls.editors["schedule.iterations"]
    qtbot.mouseClick(iterations, Qt.LeftButton)  # the reproduction: click Iterations
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    qtbot.wait(50)
    assert scroll.horizontalScrollBar().value() == 0
    assert scroll.widget().width() <= viewport.width()
    for label in scroll.widget().findChildren(QLabel):  # every label whole, none cut at a side
        if not label.isVisible():
            continue
        left = label.mapTo(viewport, QPoint(0, 0)).x()
        assert left >= 0 and left + label.width() <= viewport.width(), label.text()
    for field, editor in controls.editors.items():  # and every field, combo arrows included
        left = editor.mapTo(viewport, QPoint(0, 0)).x()
        assert left + editor.width() <= viewport.width(), field
    # the run buttons stay in sight with the settings scrolled to their end
    for button in (controls.start_button, controls.pause_button, controls.stop_button):
        assert button.isVisible() and not button.visibleRegion().isEmpty()
        top = button.mapTo(window.docks["controls"], QPoint(0, 0)).y()
        assert 0 <= top < window.docks["controls"].height()


@pytest.mark.parametrize("size", [(1366, 768), (1600, 960)])
def test_the_latent_space_fits_its_dock_with_the_image_beside_every_control(
    qtbot, make_window, size
):
    """Issue 18: at 1600x960 Save was below the fold, and in Directions and Interpolate the
    image scrolled away while the sliders were dragged. At a laptop's 1366x768 too, the image,
    each tab's controls and the Save buttons are all in sight, without scrolling."""
    window = make_window()
    window.frame.resize(*size)
    window.docks["latent"].raise_()
    explorer = window.latent.view
    scroll = window.docks["latent"].widget()
    qtbot.waitUntil(lambda: not explorer.save_bar.visibleRegion().isEmpty(), timeout=5_000)
    qtbot.wait(100)
    assert scroll.verticalScrollBar().maximum() == 0  # nothing below the fold
    in_sight = {
        "Sliders": explorer.dimension_sliders,
        "Directions": explorer.direction_sliders,
        "Interpolate": explorer.interpolation.t_slider,
        "Arithmetic": explorer.arithmetic.views["result"],
    }
    for index in range(explorer.tabs.count()):
        explorer.tabs.setCurrentIndex(index)
        qtbot.wait(50)
        control = in_sight[explorer.tabs.tabText(index)]
        viewport = scroll.viewport()
        for widget in (explorer.stack, control, *explorer.save_bar.buttons.values()):
            top = widget.mapTo(viewport, QPoint(0, 0))
            assert widget.isVisible() and widget.height() >= min(widget.sizeHint().height(), 40)
            assert 0 <= top.y() and top.y() + widget.height() <= viewport.height(), (
                explorer.tabs.tabText(index),
                widget,
            )  # whole, inside the dock's view
            assert 0 <= top.x() and top.x() + widget.width() <= viewport.width()


def test_a_default_layout_follows_the_window_and_a_dragged_one_is_kept(qtbot, make_window):
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    window = make_window()
    window.frame.resize(1366, 768)
    left, right = window.docks["controls"], window.docks["features"]
    qtbot.waitExposed(window.frame)
    window.frame.resize(1920, 1080)  # maximised: the default widths of the new size
    qtbot.waitUntil(lambda: (left.width(), right.width()) == side_widths(1920), timeout=5_000)
    window.frame.resizeDocks([right], [480], Qt.Orientation.Horizontal)  # the person drags ...
    release = QMouseEvent(
        QEvent.Type.MouseButtonRelease,
        QPointF(1200, 300),
        QPointF(1200, 300),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.frame, release)  # ... and lets go of the separator
    qtbot.wait(50)
    qtbot.waitUntil(lambda: right.width() == 480, timeout=5_000)
    window.frame.resize(2000, 1100)  # the default there would be 560
    qtbot.wait(200)
    assert right.width() == 480 and left.width() == 360  # the person's widths are kept
