"""The sample grid as a learner reads it (issue 18): D's bars say what they are and agree with
the D curves' kind of number, and the real batch beside the grid lines up with it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt


def test_the_grid_and_the_real_batch_beside_it_are_the_same_size_and_line_up(qtbot, make_window):
    window = make_window(iterations=30)
    window.frame.resize(1366, 768)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=60_000
    )
    panel = window.sample_panel
    panel.real_box.setChecked(True)  # the reproduction: "Real batch beside"
    qtbot.waitUntil(lambda: panel.real_view.image.image is not None, timeout=5_000)
    qtbot.wait(100)
    fake, real = (v.image.sceneBoundingRect() for v in (panel.fake_view, panel.real_view))
    assert abs(fake.width() - real.width()) < 1 and abs(fake.height() - real.height()) < 1
    assert abs(fake.top() - real.top()) < 1 and fake.right() < real.left()
    for view, rect in ((panel.fake_view, fake), (panel.real_view, real)):  # each title over
        centre = panel.graphics.mapTo(panel, QPoint(round(rect.center().x()), 0)).x()  # its grid
        assert abs(view.title.geometry().center().x() - centre) < 3


def test_ds_bars_say_what_they_are_and_their_mean_is_in_the_title(qtbot, make_window):
    window = make_window(iterations=30)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=60_000
    )
    panel = window.sample_panel
    grid = panel.live_grid
    mean = float(np.mean(grid.d_probabilities))
    assert panel.fake_view.title.text() == f"G(fixed noise) · D says real: {mean:.2f} on average"
    tip = panel.prob_box.toolTip()
    assert "as in a training step" in tip and "D(G(z))" in tip and "D(x)" in tip
    panel.prob_box.setChecked(False)  # no bars: no score in the title either
    assert panel.fake_view.title.text() == "G(fixed noise)"
    assert np.array_equal(panel.shown_grid, panel.fake_view.image.image)
