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


def test_a_followed_run_whose_shown_grid_is_gone_moves_to_the_one_before_and_shows_it(
    qtbot, tmp_path
):
    """Scrubbed back to iteration 6 of a followed run, its saved grids become 0, 3, 7 (a
    resume from 3 saved anew, with another cadence): the scrubber shows 3, the newest before
    6, and says so, rather than pointing at another grid with 6 still drawn."""
    from dcgan_studio.core.runs import RunDirectory
    from dcgan_studio.gui.training.sample_panel import SamplePanel

    reads = []

    def read_grid(path, on_read):
        reads.append(path.name)
        on_read(np.full((10, 10, 3), len(reads), dtype=np.uint8))

    panel = SamplePanel(read_grid)
    qtbot.addWidget(panel)
    run = RunDirectory(tmp_path / "run")
    panel.set_run(run, [0, 3, 6, 9])
    selected = []
    panel.step_selected.connect(selected.append)
    panel.select_step(6)
    assert panel.step_label.text() == "iteration 6 (saved)" and selected == [6]
    panel.set_saved_steps([0, 3, 7])
    assert panel.steps[panel.slider.value()] == 3 and not panel.is_live()
    assert panel.step_label.text() == "iteration 3 (saved)" and panel.shown_step == 3
    assert reads[-1] == run.sample_path(3).name and selected == [6, 3]
    panel.set_saved_steps([0, 3, 7, 11])  # the grid shown is still there: it stays
    assert panel.steps[panel.slider.value()] == 3 and panel.shown_step == 3
