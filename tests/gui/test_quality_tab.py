"""The Quality tab: scores of G made live on their own thread and written to quality.jsonl, an
opened run's scores, the scrubber's cursor over them, the collapse alert from the histogram,
and the real images nearest to a tile of the grid or to the latent image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from dcgan_studio.core.alerts import MODE_COLLAPSE
from dcgan_studio.core.quality.scores import QualityScore
from dcgan_studio.core.runs import RunDirectory
from tests.gui.test_main_window import _start


def _trained_with_scores(qtbot, make_window, iterations: int = 150):
    window = make_window(iterations=iterations)  # weights published every 50 iterations
    window.docks["quality"].raise_()
    window.quality_panel.interval_spin.setValue(1)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=120_000)
    qtbot.waitUntil(lambda: not window.quality_jobs.busy, timeout=60_000)
    return window


def test_scores_arrive_while_it_trains_are_written_and_come_back_with_the_run(qtbot, make_window):
    window = _trained_with_scores(qtbot, make_window)
    model, panel = window.quality, window.quality_panel
    steps = [s.step for s in model.scores]
    assert len(steps) >= 2 and steps == sorted(steps) and steps[-1] == 150  # the last G too
    lines = window.run.run_dir.read_quality()
    assert [r["step"] for r in lines] == steps
    assert all(r["feature_space"] == "digits" and len(r["classes"]) == 10 for r in lines)
    assert list(panel.kid_curve.xData) == steps and len(panel.fd_curve.yData) == len(steps)
    assert "digit classifier" in panel.space_label.text()
    assert "not comparable with published FID" in panel.space_label.text()
    last = model.scores[-1]
    assert list(panel.bars.opts["height"]) == last.classes
    assert panel.summary.text().startswith(f"iteration 150: KID {last.kid:.4f}")

    other = make_window(settings_name="other.ini")  # File > Open Run in a second window
    other.open_run(window.run.run_dir.root)
    qtbot.waitUntil(lambda: len(other.quality.scores) == len(steps), timeout=30_000)
    assert [s.kid for s in other.quality.scores] == [s.kid for s in model.scores]
    assert "digit classifier" in other.quality_panel.space_label.text()


def test_with_the_tensorboard_box_ticked_the_events_hold_the_windows_scores_and_grids(
    qtbot, make_window
):
    """The Training panel's TensorBoard box, clicked as a person does: the session's events
    hold each score the Quality tab made, the last G's too (scored after the session ended)."""
    from PySide6.QtWidgets import QStyle, QStyleOptionButton
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    window = make_window(iterations=150)
    box = window.controls.editors["runtime.tensorboard"]
    assert not box.isChecked() and "tensorboard --logdir" in box.toolTip()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    tick = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxClickRect, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=tick.center())
    assert window.controls.config().runtime.tensorboard is True
    window.docks["quality"].raise_()
    window.quality_panel.interval_spin.setValue(1)
    _start(qtbot, window)
    assert not box.isEnabled()  # a setting of the session, fixed while it trains
    qtbot.waitUntil(lambda: not window.session.running, timeout=120_000)
    qtbot.waitUntil(lambda: not window.quality_jobs.busy, timeout=60_000)
    run = window.run.run_dir
    assert run.read_config().runtime.tensorboard is True
    reader = EventAccumulator(str(run.root / "tensorboard"), size_guidance={"images": 0})
    reader.Reload()
    scored = [s.step for s in window.quality.scores]
    assert scored[-1] == 150
    assert [e.step for e in reader.Scalars("quality/KID")] == scored
    assert [e.step for e in reader.Scalars("loss/D")] == [r["step"] for r in run.read_metrics()]
    assert reader.Images("samples/G")[-1].step == 150


def test_the_scrubber_moves_the_cursor_and_the_bars_show_that_step_s_score(qtbot, make_window):
    window = _trained_with_scores(qtbot, make_window)
    panel, first = window.quality_panel, window.quality.scores[0]
    window.sample_panel.select_step(first.step)
    qtbot.waitUntil(lambda: panel.cursor_step == first.step, timeout=10_000)
    assert all(c.isVisible() and c.value() == first.step for c in panel.cursors)
    assert list(panel.bars.opts["height"]) == first.classes
    assert panel.summary.text().startswith(f"iteration {first.step}:")


def test_a_histogram_of_one_class_raises_the_collapse_alert_and_a_spread_one_clears_it(
    qtbot, make_window, tmp_path
):
    window = make_window()
    one = QualityScore(500, 1000, 0.2, 0.01, 40.0, "digits", "G", [0] * 7 + [700] + [0] * 2, 1, 0.7)
    run_dir = window.quality_jobs.run_dir  # None: no run yet, as in the window before Start
    window.quality_jobs._on_scored((one, "digit classifier", run_dir, None))  # as scoring hands it
    assert window.run.alert is not None and window.run.alert.kind == MODE_COLLAPSE
    assert window.banner.isVisible() and "class 7" in window.banner.message.text()
    spread = QualityScore(600, 1000, 0.02, 0.01, 9.0, "digits", "G", [60] * 10, 10, 0.6)
    window.quality_jobs._on_scored((spread, "digit classifier", run_dir, None))
    assert window.run.alert is None
    shown = list(window.quality.scores)
    elsewhere = RunDirectory(tmp_path / "another-run")  # a score that lands after the run changed
    window.quality_jobs._on_scored((one, "digit classifier", elsewhere, None))
    assert window.quality.scores == shown and window.run.alert is None


def test_a_clicked_real_tile_finds_itself_first_and_the_latent_image_its_neighbours(
    qtbot, make_window
):
    window = _trained_with_scores(qtbot, make_window, iterations=60)
    panel, nearest = window.sample_panel, window.quality_panel.nearest
    panel.real_box.setChecked(True)
    box = panel.real_view.box
    qtbot.waitUntil(lambda: panel.real_view.shape is not None and box.width() > 50, timeout=10_000)
    qtbot.wait(200)  # the grid's layout settles beside the new column
    x, y = panel._geometry("real").origin(2)
    pos = panel.graphics.mapFromScene(box.mapViewToScene(QPointF(x + 3, y + 3)))
    qtbot.mouseClick(panel.graphics.viewport(), Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: nearest.found is not None, timeout=60_000)
    assert nearest.title.text() == "Nearest real images to real tile 2"
    assert nearest.found.by_pixels.distances[0] == 0.0  # the real image itself
    assert np.array_equal(nearest.found.by_pixels.images[0], panel.real.images[2])
    assert nearest.rows["pixels"][0][1].text() == "0"
    assert all(label.pixmap() is not None for label, _ in nearest.rows["features"])

    window.docks["latent"].raise_()
    latent = window.latent
    latent.open_checkpoint(window.run.run_dir.latest_checkpoint())
    qtbot.waitUntil(lambda: latent.view.main_view.shown is not None, timeout=30_000)
    qtbot.waitUntil(lambda: latent.view.nearest_button.isEnabled(), timeout=10_000)
    nearest.found = None
    qtbot.mouseClick(latent.view.nearest_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: nearest.found is not None, timeout=60_000)
    assert nearest.title.text() == "Nearest real images to the latent image of iteration 60"
    assert window.in_front("quality")
    distances = nearest.found.by_features.distances
    assert len(distances) == 5 and np.all(np.diff(distances) >= 0) and distances[0] > 0
