"""The window's workspace tabs: training, the 1-D GAN playground and the convolution explorer."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from dcgan_studio.core.convolution import kernel
from dcgan_studio.gui.workspaces import CONVOLUTION, GAN1D, RUNS, TRAIN
from tests.gui.test_main_window import _start, _stop


def in_front(dock) -> bool:
    """Shown and not behind another dock's tab (a tab behind still says isVisible())."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _click_tab(qtbot, window, index: int) -> None:
    bar = window.workspaces.tabBar()
    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(index).center())
    assert window.workspaces.currentIndex() == index


def test_the_learning_tabs_get_the_whole_window_and_the_docks_come_back(qtbot, make_window):
    window = make_window()
    tabs = window.workspaces
    assert [tabs.tabText(i) for i in range(tabs.count())] == [
        "Train a DCGAN",
        "Runs and Compare",
        "1-D GAN playground",
        "Convolution explorer",
    ]
    assert tabs._pages == {}  # built when first shown
    window.docks["gradients"].raise_()  # a layout of the person's own: gradients in front
    window.docks["filters"].close()  # and one dock closed
    _click_tab(qtbot, window, GAN1D)
    assert not any(dock.isVisible() for dock in window.docks.values())
    assert tabs.playground.isVisible() and not window.sample_panel.isVisible()
    qtbot.waitUntil(lambda: tabs.playground.width() > 0.9 * window.frame.width())  # the whole width
    assert list(tabs._pages) == [GAN1D]
    _click_tab(qtbot, window, CONVOLUTION)
    assert tabs.convolution.isVisible() and not tabs.playground.isVisible()
    _click_tab(qtbot, window, RUNS)  # the runs library too has the window to itself
    assert tabs.runs.isVisible() and not any(dock.isVisible() for dock in window.docks.values())
    qtbot.waitUntil(lambda: tabs.runs.width() > 0.9 * window.frame.width())
    _click_tab(qtbot, window, TRAIN)
    assert window.sample_panel.isVisible()
    qtbot.waitUntil(lambda: in_front(window.docks["gradients"]))
    assert window.docks["losses"].isVisible() and not in_front(window.docks["losses"])
    assert in_front(window.docks["controls"]) and in_front(window.docks["features"])
    assert not window.docks["filters"].isVisible()  # closed before, closed after


def test_training_goes_on_behind_the_playground_and_both_are_live(qtbot, make_window):
    window = make_window(iterations=400)
    _start(qtbot, window)
    _click_tab(qtbot, window, GAN1D)
    playground = window.workspaces.playground
    qtbot.mouseClick(playground.play_button, Qt.LeftButton)
    at = len(window.run.history)
    qtbot.waitUntil(lambda: len(window.run.history) >= at + 3, timeout=30_000)
    qtbot.waitUntil(
        lambda: int(playground.readouts["step"].text().replace(",", "")) >= 5, timeout=30_000
    )  # the step read-out a person sees
    qtbot.mouseClick(playground.play_button, Qt.LeftButton)  # pause it again
    _click_tab(qtbot, window, TRAIN)
    assert window.docks["controls"].isVisible()
    _stop(qtbot, window)


def test_the_convolution_tab_makes_edges_appear_on_a_digit(qtbot, make_window):
    window = make_window()
    _click_tab(qtbot, window, CONVOLUTION)
    explorer = window.workspaces.convolution
    page = explorer.kernel_page
    page.editor.set_preset("edge")
    shown = page.output_view.values()
    digit = torch.from_numpy(explorer.image).float()[None, None]  # the digit on screen
    expected = F.conv2d(digit, torch.from_numpy(kernel("edge", 3)).float()[None, None], padding=1)[
        0, 0
    ].numpy()
    np.testing.assert_allclose(shown, expected, rtol=1e-5, atol=1e-5)
    assert np.abs(shown).max() > 1 and (shown == 0).mean() > 0.3  # strokes lit, background flat


def test_closing_on_a_learning_tab_keeps_the_training_layout(qtbot, make_window):
    window = make_window()
    window.docks["losses"].hide()
    _click_tab(qtbot, window, GAN1D)
    window.frame.close()
    again = make_window(settings_name="settings.ini")
    assert again.workspaces.currentIndex() == TRAIN
    assert again.docks["controls"].isVisible() and again.docks["features"].isVisible()
    assert not again.docks["losses"].isVisible()


def _visible_tab_bars(window):
    return [
        bar
        for bar in window.frame.findChildren(
            QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly
        )
        if bar.isVisible()
    ]


def test_one_tab_bar_per_dock_group_and_none_left_over_the_status_bar(qtbot, make_window):
    # Qt 6.11 leaves tab bars of earlier layouts on screen (found as old tabs drawn over the
    # status bar in the README's screenshot); the window hides them after each layout
    window = make_window()
    qtbot.waitExposed(window.frame)

    def settled() -> bool:
        bars = _visible_tab_bars(window)
        groups = sorted(tuple(b.tabText(i) for i in range(b.count())) for b in bars)
        return groups == [
            ("Feature maps", "Architecture", "Filters", "Latent space"),
            ("Losses and D's output", "Gradients", "Quality"),
            ("Training", "Data"),
        ]

    qtbot.waitUntil(settled, timeout=5_000)
    status = window.frame.statusBar().geometry()
    assert not any(bar.geometry().intersects(status) for bar in _visible_tab_bars(window))

    def leftover() -> QTabBar:  # what Qt leaves: a bar of old tabs over the status bar
        bar = QTabBar(window.frame)
        bar.addTab("Losses and D's output")
        bar.addTab("Gradients")
        bar.setGeometry(status)
        bar.show()
        assert not settled()
        return bar

    stray = leftover()
    window.workspaces.setCurrentIndex(CONVOLUTION)
    window.workspaces.setCurrentIndex(TRAIN)  # the docks' layout restored
    qtbot.waitUntil(settled, timeout=5_000)
    assert not stray.isVisible()
    stray = leftover()
    window.reset_layout()
    qtbot.waitUntil(settled, timeout=5_000)
    stray = leftover()
    window.frame.hide()
    window.frame.show()
    qtbot.waitUntil(settled, timeout=5_000)
