"""Views that were behind another tab while a run went on show that run when they are brought to
the front (issue 18: the Gradients tab said "waiting for the first logged step" after a run,
though the history held every gradient norm)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt


def _run_to_the_end(qtbot, window) -> None:
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.run.state == "idle"
            and not window.session.running
            and len(window.run.history) > 0
        ),
        timeout=60_000,
    )


def test_the_gradients_fill_from_the_run_when_brought_to_the_front_after_it(qtbot, make_window):
    window = make_window(iterations=60)
    window.docks["losses"].raise_()  # the reproduction: Losses in front to the end
    window.docks["features"].raise_()
    _run_to_the_end(qtbot, window)
    panel = window.inspector.gradients
    window.docks["gradients"].raise_()  # then click Gradients
    qtbot.waitUntil(lambda: len(panel.plotted("g", "convT1")[0]) > 0, timeout=5_000)
    x, y = panel.plotted("g", "convT1")
    steps = window.run.history.column("step")
    np.testing.assert_array_equal(x, steps[np.isfinite(window.run.history.column("grad.g.convT1"))])
    assert x[-1] == 60
    assert "waiting" not in panel.verdict_label.text()
    assert not panel.placeholders["g"].isVisible()


def test_the_feature_maps_and_the_latent_space_show_the_runs_end_when_brought_to_the_front(
    qtbot, make_window
):
    window = make_window(iterations=60)
    window.docks["architecture"].raise_()  # feature maps and latent space behind it throughout
    _run_to_the_end(qtbot, window)
    assert window.run.run_dir.checkpoint_steps()[-1] == 60
    maps = window.inspector.feature_maps
    window.docks["features"].raise_()
    qtbot.waitUntil(
        lambda: (
            maps.snapshot is not None
            and maps.snapshot.step == 60
            and maps.snapshot.request == window.inspector.model.request
        ),
        timeout=30_000,
    )
    assert "iteration 60" in maps.header.text() and "step-0000060" in maps.header.text()
    explorer = window.latent
    window.docks["latent"].raise_()
    qtbot.waitUntil(
        lambda: explorer.jobs.renderer is not None and explorer.jobs.renderer.step == 60,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: explorer.view.main_view.shown is not None, timeout=30_000)


def test_new_run_clears_the_gradients_even_behind_another_tab(qtbot, make_window):
    window = make_window(iterations=30)
    window.docks["gradients"].raise_()
    _run_to_the_end(qtbot, window)
    panel = window.inspector.gradients
    assert len(panel.plotted("d", "conv1")[0]) > 0
    window.docks["losses"].raise_()
    window.menus.new.trigger()
    window.docks["gradients"].raise_()
    qtbot.waitUntil(lambda: "waiting" in panel.verdict_label.text(), timeout=5_000)
    assert all(not curves for curves in panel.curves.values())
