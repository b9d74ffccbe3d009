"""The studio window driven as a person drives it: real buttons, real training, real files."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from dcgan_studio.core.runs import open_checkpoint
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot


def _start(qtbot, window):
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=30_000)


def _stop(qtbot, window):
    qtbot.mouseClick(window.controls.stop_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=30_000
    )


def test_start_pause_resume_stop_through_the_buttons(qtbot, make_window):
    window = make_window(iterations=100_000)
    controls = window.controls
    assert controls.start_button.isEnabled() and not controls.pause_button.isEnabled()
    _start(qtbot, window)
    assert not controls.start_button.isEnabled()
    assert not controls.editors["model.image_size"].isEnabled()
    assert "Stop first" in controls.editors["model.image_size"].toolTip()
    assert controls.editors["optim.lr_g"].isEnabled()  # live-editable
    qtbot.waitUntil(lambda: len(window.run.history) >= 3, timeout=30_000)
    assert "step" in window.readouts.labels["step"].text()
    assert "img/s" in window.readouts.labels["rate"].text()
    assert window.readouts.labels["device"].text() == "device: cpu"

    qtbot.mouseClick(controls.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "paused", timeout=10_000)
    assert controls.pause_button.text() == "Resume"
    window.redraw()  # scalars logged before the pause may still wait in the buffer
    paused_at = len(window.run.history)
    qtbot.wait(300)
    window.redraw()
    assert len(window.run.history) == paused_at  # paused means no training
    qtbot.mouseClick(controls.step_d_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.run.history) == paused_at + 1, timeout=10_000)
    qtbot.mouseClick(controls.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=10_000)
    qtbot.waitUntil(lambda: len(window.run.history) > paused_at + 2, timeout=30_000)

    controls.editors["optim.lr_d"].setValue(0.0001)
    qtbot.waitUntil(
        lambda: len(window.run.history) and window.run.history.column("lr_d")[-1] == 1e-4,
        timeout=30_000,
    )
    _stop(qtbot, window)
    assert controls.start_button.isEnabled()
    checkpoint = open_checkpoint(window.run.run_dir.root)
    assert checkpoint.step > 0


def test_plots_grow_and_the_grid_changes_as_training_runs(qtbot, make_window):
    window = make_window(iterations=100_000)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: window.sample_panel.shown_grid is not None, timeout=30_000)
    first = window.sample_panel.shown_grid.copy()
    first_pixels = window.sample_panel.graphics.grab().toImage()
    qtbot.waitUntil(lambda: (window.sample_panel.shown_step or 0) >= 100, timeout=60_000)
    # the loss plots follow within PLOT_INTERVAL
    qtbot.waitUntil(lambda: len(window.loss_plot.plotted("loss_d")) >= 10, timeout=5_000)
    assert np.isfinite(window.loss_plot.plotted("loss_g")).all()
    later = window.sample_panel.shown_grid
    assert later.shape == first.shape and not np.array_equal(first, later)
    assert window.sample_panel.graphics.grab().toImage() != first_pixels
    # the real batch beside the grid, with D's bars
    window.sample_panel.real_box.setChecked(True)
    assert window.sample_panel.real_view.box.isVisible()
    _stop(qtbot, window)


def test_scrubber_and_loss_cursor_follow_each_other(qtbot, make_window):
    window = make_window(iterations=160)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    panel, plot = window.sample_panel, window.loss_plot
    assert panel.steps == [0, 50, 100, 150, 160]
    panel.slider.setValue(1)  # the person drags the scrubber to iteration 50
    assert plot.selected_step == 50 and plot.cursors[0].isVisible()
    assert plot.cursors[0].value() == 50
    # the saved grid is read off the GUI thread, then shown
    qtbot.waitUntil(lambda: panel.step_label.text() == "iteration 50 (saved)", timeout=10_000)
    saved = np.asarray(Image.open(window.run.run_dir.sample_path(50)).convert("RGB"))
    assert np.array_equal(panel.shown_grid, saved)
    # a click on the loss plot near iteration 100 moves the scrubber there
    view = plot.loss_plot.vb
    scene_pos = view.mapViewToScene(
        QPointF(101, view.viewRange()[1][0] * 0.5 + view.viewRange()[1][1] * 0.5)
    )
    widget_pos = plot.graphics.mapFromScene(scene_pos)
    qtbot.mouseClick(plot.graphics.viewport(), Qt.LeftButton, pos=widget_pos)
    qtbot.waitUntil(lambda: panel.slider.value() == 2, timeout=5_000)
    assert plot.selected_step == 100
    qtbot.waitUntil(lambda: panel.shown_step == 100, timeout=10_000)


def test_closing_mid_run_stops_saves_and_leaves_no_thread(qtbot, make_window):
    window = make_window(iterations=100_000)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: len(window.run.history) >= 2, timeout=30_000)
    window.frame.close()
    assert window.frame.isVisible()  # it waits for the step to end and the checkpoint
    qtbot.waitUntil(lambda: not window.frame.isVisible(), timeout=30_000)
    assert not window.session.running
    assert open_checkpoint(window.run.run_dir.root).step >= 2


def test_an_exception_in_the_worker_shows_a_dialog_and_the_window_stays_usable(
    qtbot, make_window, monkeypatch
):
    import dcgan_studio.gui.training.controller as controller

    def broken(*args, **kwargs):
        raise RuntimeError("the GPU caught fire")

    monkeypatch.setattr(controller, "make_trainer", broken)
    window = make_window()
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.run.last_error is not None and window.run.state == "idle", timeout=10_000
    )
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert len(dialogs) == 1
    text = dialogs[0].text()
    assert "RuntimeError: the GPU caught fire" in text and "log.txt" in text
    assert "Traceback" not in text
    dialogs[0].close()
    assert window.controls.start_button.isEnabled()


def test_save_grid_writes_png_and_sidecar(qtbot, make_window, tmp_path):
    window = make_window(iterations=60)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    from dcgan_studio.gui.training.sample_panel import scored_mosaic

    panel = window.sample_panel
    assert panel.prob_box.isChecked()  # the screen shows D's bars
    path = window.files.save_grid(tmp_path / "grid.png")  # Save Grid: G's images alone
    image = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(image, scored_mosaic(panel.live_grid.images, None))
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["step"] == 60 and sidecar["seed"] == 3 and sidecar["d_opinion_bars"] is False
    assert sidecar["d_probabilities"] == [
        round(float(p), 4) for p in panel.live_grid.d_probabilities
    ]
    scored = window.files.save_grid(tmp_path / "scored.png", with_opinion=True)  # as on screen
    assert np.array_equal(np.asarray(Image.open(scored).convert("RGB")), panel.shown_grid)
    assert json.loads(scored.with_suffix(".json").read_text())["d_opinion_bars"] is True
    assert sidecar["config"]["model"]["image_size"] == 16
    window.run.history.save_csv(tmp_path / "losses.csv")
    lines = (tmp_path / "losses.csv").read_text().splitlines()
    assert lines[0].startswith("step,epoch,loss_d,loss_g") and len(lines) == 1 + 6


def test_open_run_shows_its_history_and_start_continues_it(qtbot, make_window):
    first = make_window(iterations=60)
    _start(qtbot, first)
    qtbot.waitUntil(lambda: not first.session.running, timeout=60_000)
    run = first.run.run_dir.root
    first.frame.close()
    window = make_window(iterations=60, settings_name="other.ini")
    window.open_run(run)
    qtbot.waitUntil(lambda: len(window.run.history) == 6, timeout=10_000)
    assert window.sample_panel.steps == [0, 50, 60]
    assert window.controls.editors["model.ngf"].value() == 8
    window.controls.editors["schedule.iterations"].setValue(80)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert open_checkpoint(run).step == 80
    assert [int(s) for s in window.run.history.column("step")] == list(range(10, 90, 10))


def test_layout_and_geometry_come_back_on_the_next_launch(qtbot, make_window):
    window = make_window()
    window.frame.resize(
        780, 560
    )  # inside the offscreen screen (800x600), above the window's minimum
    window.docks["losses"].hide()
    window.frame.close()
    again = make_window(settings_name="settings.ini")
    assert again.frame.size().width() == 780 and again.frame.size().height() == 560
    assert not again.docks["losses"].isVisible()
    assert again.frame.windowTitle() == "DCGAN Studio"


def test_a_setting_that_does_not_fit_the_data_is_refused_at_the_control(qtbot, make_window):
    window = make_window(**{"optim.batch_size": 20000})
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.run.last_error is not None and window.run.state == "idle", timeout=30_000
    )
    label = window.controls.error_label
    assert label.isVisible() and "use at most 10000" in label.text()
    assert not [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert window.controls.start_button.isEnabled()


def test_the_engine_s_alerts_show_a_banner_with_what_to_try(qtbot, make_window, monkeypatch):
    import dcgan_studio.core.engine as engine
    from dcgan_studio.core.alerts import AlertMonitor
    from dcgan_studio.core.snapshots import AlertSnapshot

    # D's loss is always "near zero" against a floor of 100: the engine raises "D wins" early
    monkeypatch.setattr(
        engine,
        "AlertMonitor",
        lambda: AlertMonitor(d_loss_floor=100.0, d_loss_patience=3, collapse_ratio=1e-9),
    )
    window = make_window(iterations=100_000)
    assert not window.banner.isVisible()
    window.controls.start_button.click()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=60_000)
    assert window.banner.kind == "d_wins" and window.run.state == "running"  # a warning: runs on
    assert window.banner.advice.text().startswith("Try:")
    window.session.alerts_changed.emit(AlertSnapshot(1000, None, ()))  # as when D's loss recovers
    assert not window.banner.isVisible()
    window.menus.stop.trigger()
    qtbot.waitUntil(lambda: not window.session.running, timeout=30_000)
    assert window.run.run_dir.read_alerts()[0]["kind"] == "d_wins"


def test_shutdown_stops_a_running_session_promptly_and_finishes_once(qtbot, make_window):
    window = make_window(iterations=100_000)
    _start(qtbot, window)
    finished = []
    window.session.finished.connect(lambda: finished.append(1))
    assert window.session.shutdown(timeout_ms=20_000)
    assert not window.session.running
    qtbot.wait(100)  # any queued thread.finished has run by now
    assert finished == [1]


def test_a_long_history_is_drawn_downsampled_with_its_peaks(qtbot, make_window):
    window = make_window()
    rng = np.random.default_rng(0)
    values = rng.random(100_000)
    values[54_321] = 7.0  # one spike must survive the downsampling
    for i, v in enumerate(values):
        window.run.history.append(
            {"step": i + 1, "loss_d": v, "loss_g": 2.0, "d_x": 0.5, "d_g_z1": 0.5}
        )
    window.loss_plot.refresh()
    window.loss_plot.graphics.grab()  # paint, so the view's width sets the downsampling
    curve = window.loss_plot.raw["loss_d"].curve
    assert len(window.loss_plot.plotted("loss_d")) == 100_000
    assert len(curve.xData) < 10_000 and curve.yData.max() == 7.0


def test_docks_tabbed_behind_another_do_not_redraw_until_raised(qtbot, make_window):
    # Qt 6 keeps a tabbed-away dock isVisible() (it is moved out of sight): the window must
    # look at what is on screen, or the latent explorer would rebuild G behind the feature maps
    window = make_window(iterations=100_000)
    renders, refreshes = [], []
    window.latent.show_weights = lambda snapshot: renders.append(snapshot.step)
    window.inspector.gradients.refresh = lambda: refreshes.append(1)
    window.docks["features"].raise_()
    window.docks["losses"].raise_()
    assert window.docks["latent"].isVisible()  # Qt's word, though it is out of sight
    _start(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            window.router.last(GeneratorWeightsSnapshot) is not None
            and len(window.run.history) >= 20
        ),
        timeout=60_000,
    )
    assert renders == [] and refreshes == []  # behind the feature maps and the losses
    window.docks["latent"].raise_()
    window.docks["gradients"].raise_()
    qtbot.waitUntil(lambda: bool(renders and refreshes), timeout=30_000)
    _stop(qtbot, window)


def test_the_line_plots_redraw_at_most_twice_a_second_however_fast_training_logs(
    qtbot, make_window, monkeypatch
):
    """A fast GPU can log 30-50 times a second: the plots keep every point but draw them in
    batches, so the GUI thread does not take the interpreter from training for each one."""
    from dcgan_studio.core.snapshots import ScalarSnapshot
    from dcgan_studio.gui import main_window

    window = make_window()
    window.timer.stop()  # the test is the timer: one tick per logged step
    drawn: list[int] = []
    real_refresh = window.loss_plot.refresh

    def refresh() -> None:
        real_refresh()
        drawn.append(len(window.loss_plot.plotted("loss_d")))

    monkeypatch.setattr(window.loss_plot, "refresh", refresh)
    clock = [1000.0]
    monkeypatch.setattr(main_window.time, "monotonic", lambda: clock[0])
    for step in range(10, 510, 10):  # 32 logged steps a second, a tick after each
        window.session.buffer.put(
            ScalarSnapshot(step, 0, 0.5, 1.2, 2.0, 0.6, 0.4, 0.4, 1.0, 0.1, 2e-4, 2e-4, 5000.0, 1.0)
        )
        window.redraw()
        clock[0] += 1 / 32
    assert drawn == [1, 17, 33, 49]  # at 0, 0.5, 1 and 1.5 s: 4 redraws, not 50
    assert len(window.run.history) == 50  # every point is kept
    assert window.readouts.labels["step"].text().startswith("step 490")
    window.redraw()  # nothing new: nothing to draw
    assert drawn == [1, 17, 33, 49]
    window.redraw(final=True)  # the session ended: the rest is drawn at once
    assert drawn == [1, 17, 33, 49, 50]
    assert window.readouts.labels["step"].text().startswith("step 500")
