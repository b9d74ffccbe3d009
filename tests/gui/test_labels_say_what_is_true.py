"""Every label says what is true now (issue 18: "Loading data…" after a dataset error, a latent
header naming a vector the sliders had moved, "(live training)" and "(live)" after a run, it/s
and an ETA while paused or stopped)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox


def _start(qtbot, window) -> None:
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=30_000)


def _dialogs() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def test_a_dataset_that_cannot_load_replaces_the_loading_message(qtbot, make_window, tmp_path):
    window = make_window()
    window.controls.set_dataset("mnist", str(tmp_path / "no-data-here"))
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(_dialogs()) and window.run.state == "idle", timeout=30_000)
    dialog = _dialogs()[0]
    assert dialog.windowTitle() == "Training could not start"
    message = window.frame.statusBar().currentMessage()
    assert "Loading data" not in message and message.startswith("Training could not start:")
    assert "MNIST" in message
    assert (
        window.readouts.labels["rate"].text() == "" and window.readouts.labels["eta"].text() == ""
    )
    dialog.close()


def test_rate_and_eta_go_while_paused_and_after_a_stop_and_the_grid_is_of_the_stop(
    qtbot, make_window
):
    window = make_window(iterations=100_000)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: len(window.run.history) >= 2, timeout=60_000)
    assert "it/s" in window.readouts.labels["rate"].text()
    window.menus.pause.trigger()
    qtbot.waitUntil(lambda: window.run.state == "paused", timeout=30_000)
    qtbot.wait(700)  # scalars logged before the pause are drawn: they must not bring it/s back
    assert window.readouts.labels["rate"].text() == "paused"
    assert window.readouts.labels["eta"].text() == ""
    window.menus.pause.trigger()
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=30_000)
    qtbot.waitUntil(lambda: "it/s" in window.readouts.labels["rate"].text(), timeout=30_000)
    window.menus.stop.trigger()  # at any step: most are between the grid steps (every 50)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=30_000
    )
    step = int(window.run.history.column("step")[-1])
    assert step == window.run.run_dir.checkpoint_steps()[-1]  # the scalars of the stop's own step
    assert (
        window.readouts.labels["rate"].text() == "" and window.readouts.labels["eta"].text() == ""
    )
    assert window.readouts.labels["step"].text().startswith(f"step {step:,} /")
    panel = window.sample_panel
    assert panel.live_grid.step == step  # the grid of the step the run stopped at
    assert panel.step_label.text() == f"iteration {step} (newest)"
    assert "(live)" not in panel.step_label.text()


def test_the_latent_header_follows_the_sliders_and_the_source_the_session(qtbot, make_window):
    window = make_window(iterations=100_000)
    explorer = window.latent
    window.docks["latent"].raise_()
    _start(qtbot, window)
    qtbot.waitUntil(
        lambda: explorer.jobs.renderer is not None and explorer.model.base is not None,
        timeout=60_000,
    )
    assert "live training" in explorer.view.source_label.text()
    explorer.model.use_seed(0)
    header = explorer.view.vector_label.text()
    assert header.startswith("<b>seed 0</b>  (|z| = ")
    explorer.view.dimension_sliders.sliders[3].setValue(250)  # z3 to 2.5, as a drag does
    moved = explorer.view.vector_label.text()
    assert "seed 0</b>, moved by 1 slider" in moved and moved != header
    assert f"{float((explorer.model.current_z() ** 2).sum() ** 0.5):.2f}" in moved
    explorer.view.reset_button.click()
    assert explorer.view.vector_label.text() == header
    window.menus.stop.trigger()
    qtbot.waitUntil(lambda: not window.session.running, timeout=30_000)
    qtbot.waitUntil(
        lambda: "as training left it" in explorer.view.source_label.text(), timeout=30_000
    )
    assert "live" not in explorer.view.source_label.text()


def test_the_latent_header_names_the_directions_that_moved_it(qtbot, make_window):
    window = make_window(iterations=40)
    explorer = window.latent
    window.docks["latent"].raise_()
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    qtbot.waitUntil(
        lambda: explorer.jobs.renderer is not None and explorer.model.base is not None,
        timeout=60_000,
    )
    explorer.find_directions()
    qtbot.waitUntil(lambda: explorer.model.directions is not None, timeout=60_000)
    explorer.view.direction_sliders.sliders[0].setValue(200)  # PC1 to +2
    assert ", moved by PC1" in explorer.view.vector_label.text()


def test_an_error_at_a_setting_goes_once_the_setting_is_edited(qtbot, make_window):
    window = make_window(**{"optim.batch_size": 20000})
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    label = window.controls.error_label
    qtbot.waitUntil(lambda: label.isVisible() and window.run.state == "idle", timeout=30_000)
    window.controls.editors["optim.batch_size"].setValue(16)
    assert not label.isVisible()


def test_start_says_how_far_the_run_will_train_and_that_stop_ends_it(qtbot, make_window):
    from dcgan_studio.config import RunConfig

    assert RunConfig().schedule.iterations >= 10_000  # Start with the defaults trains on
    window = make_window(iterations=12_345)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: "until iteration 12,345 or Stop" in window.frame.statusBar().currentMessage(),
        timeout=30_000,
    )
    qtbot.mouseClick(window.controls.stop_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.session.running, timeout=30_000)
