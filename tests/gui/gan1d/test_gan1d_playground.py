"""The 1-D GAN playground, driven through its buttons and editors as a learner would, asserting on
what is on screen: plotted curves, read-outs, the status line and which buttons are enabled."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dcgan_studio.core.gan1d import TwoGaussians, Uniform
from dcgan_studio.gui.gan1d.workspace import make_playground

WAIT = 20_000  # ms; a busy 2-core CI machine


@pytest.fixture
def playground(qtbot, shown):
    widget = shown(make_playground(), 1100, 800)
    qtbot.waitUntil(lambda: widget.model.last_frame is not None, timeout=WAIT)
    yield widget
    widget.shutdown()
    assert not [t for t in threading.enumerate() if t.name == "dcgan-gan1d"]


def shown_step(widget) -> int:
    return int(widget.readouts["step"].text().replace(",", ""))


def shown_float(widget, key) -> float:
    return float(widget.readouts[key].text().split()[0].replace("−", "-"))


def curve(widget, key) -> np.ndarray:
    return widget.plots.plotted(key)[1].copy()


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_for_step(qtbot, widget, step: int) -> None:
    qtbot.waitUntil(lambda: shown_step(widget) == step, timeout=WAIT)


def wait_for_ticks(qtbot, widget, ticks: int = 12) -> None:
    """Let the redraw timer fire ``ticks`` times (~0.3 s), or stop (a paused playground's timer
    stops once nothing more can come): time for any frame to arrive."""
    fired = []
    widget.timer.timeout.connect(lambda: fired.append(1))
    qtbot.waitUntil(lambda: len(fired) >= ticks or not widget.timer.isActive(), timeout=WAIT)


def mass_right_of_zero(widget) -> float:
    edges, density = widget.plots.plotted("fake_hist")
    centres = 0.5 * (edges[1:] + edges[:-1])
    return float((density * np.diff(edges))[centres > 0].sum())


def test_play_trains_and_draws_and_pause_stops_it(qtbot, playground):
    kde_before = curve(playground, "fake_kde")
    assert shown_step(playground) == 0 and playground.play_button.text() == "Play"
    click(qtbot, playground.play_button)
    assert playground.play_button.text() == "Pause"
    assert not any(
        b.isEnabled()
        for b in (playground.step_button, playground.step_d_button, playground.step_g_button)
    )
    qtbot.waitUntil(lambda: shown_step(playground) >= 20, timeout=WAIT)
    assert not np.array_equal(curve(playground, "fake_kde"), kde_before)  # G's density moved
    steps, losses = playground.plots.plotted("loss_d")
    assert len(steps) == len(losses) >= 20 and np.isfinite(losses).all()

    click(qtbot, playground.play_button)
    assert playground.play_button.text() == "Play" and playground.step_button.isEnabled()
    wait_for_ticks(qtbot, playground)  # the frame in flight when Pause was pressed lands
    paused_at, frames = shown_step(playground), playground.model.frames_drawn
    wait_for_ticks(qtbot, playground)
    assert shown_step(playground) == paused_at and playground.model.frames_drawn == frames
    click(qtbot, playground.step_button)  # nothing ran in the background meanwhile
    wait_for_step(qtbot, playground, paused_at + 1)


def test_step_goes_exactly_one_iteration(qtbot, playground):
    click(qtbot, playground.step_button)
    wait_for_step(qtbot, playground, 1)
    click(qtbot, playground.step_button)
    wait_for_step(qtbot, playground, 2)
    assert len(playground.plots.plotted("value")[0]) == 2  # one history point per iteration
    assert playground.readouts["loss_d"].text() != "—" != playground.readouts["loss_g"].text()


def test_step_d_moves_only_d_and_step_g_moves_only_g(qtbot, playground):
    d0, g0, kde0 = (curve(playground, k) for k in ("d_of_x", "g_of_z", "fake_kde"))
    click(qtbot, playground.step_d_button)
    wait_for_step(qtbot, playground, 1)
    d1, g1, kde1 = (curve(playground, k) for k in ("d_of_x", "g_of_z", "fake_kde"))
    assert not np.array_equal(d1, d0)
    np.testing.assert_array_equal(g1, g0)
    np.testing.assert_array_equal(kde1, kde0)
    assert playground.readouts["loss_g"].text() == "—"  # G did not learn this iteration

    click(qtbot, playground.step_g_button)
    wait_for_step(qtbot, playground, 2)
    d2, g2 = curve(playground, "d_of_x"), curve(playground, "g_of_z")
    np.testing.assert_array_equal(d2, d1)
    assert not np.array_equal(g2, g1)
    assert playground.readouts["loss_d"].text() == "—"


def test_learning_rate_applies_live_and_a_new_target_starts_again(qtbot, playground):
    for _ in range(3):
        click(qtbot, playground.step_button)
    wait_for_step(qtbot, playground, 3)
    with qtbot.waitSignal(playground.service.reconfigured, timeout=WAIT) as applied:
        playground.settings.editors["lr_g"].setValue(0.001)
    assert applied.args[1] is False  # no reset
    qtbot.waitUntil(lambda: playground.model.last_frame.config.lr_g == 0.001, timeout=WAIT)
    assert shown_step(playground) == 3
    assert "lr G changed: applied live" in playground.status.text()

    real_before = curve(playground, "real")
    with qtbot.waitSignal(playground.service.reconfigured, timeout=WAIT) as applied:
        target = playground.settings.editors["target"]
        target.setCurrentIndex(target.findText("Two Gaussians"))
    assert applied.args[1] is True
    qtbot.waitUntil(
        lambda: isinstance(playground.model.last_frame.config.target, TwoGaussians), timeout=WAIT
    )
    assert shown_step(playground) == 0
    assert "Target changed: new networks from seed 0" in playground.status.text()
    assert [label.text() for label in playground.settings.parameter_labels] == [
        "Mean 1",
        "Mean 2",
        "Std",
    ]
    x, real = playground.plots.plotted("real")
    assert not np.array_equal(real, real_before)
    peaks = x[1:-1][(real[1:-1] > real[:-2]) & (real[1:-1] > real[2:])]
    np.testing.assert_allclose(peaks, [-3.0, 3.0], atol=0.1)  # two bumps, where the target is


def test_reset_returns_to_iteration_zero(qtbot, playground):
    g0 = curve(playground, "g_of_z")
    for _ in range(4):
        click(qtbot, playground.step_button)
    wait_for_step(qtbot, playground, 4)
    click(qtbot, playground.reset_button)
    wait_for_step(qtbot, playground, 0)
    np.testing.assert_array_equal(curve(playground, "g_of_z"), g0)  # the seed's G again
    assert len(playground.plots.plotted("value")[0]) == 0
    assert "back to iteration 0" in playground.status.text()


def test_a_bad_value_is_explained_and_the_last_good_settings_stay(qtbot, playground):
    target = playground.settings.editors["target"]
    target.setCurrentIndex(target.findText("Uniform"))
    qtbot.waitUntil(
        lambda: isinstance(playground.model.last_frame.config.target, Uniform), timeout=WAIT
    )
    low, high = playground.settings.parameters[:2]
    assert [low.value(), high.value()] == [2.0, 6.0]
    high.setValue(1.0)
    assert "target.high = 1.0 is not allowed: use a value above low = 2.0" in (
        playground.status.text()
    )
    assert "Traceback" not in playground.status.text()
    click(qtbot, playground.step_button)  # the playground goes on with Uniform(2, 6)
    wait_for_step(qtbot, playground, 1)
    assert playground.model.last_frame.config.target == Uniform(2.0, 6.0)


def test_hiding_the_playground_pauses_it(qtbot, playground):
    click(qtbot, playground.play_button)
    qtbot.waitUntil(lambda: shown_step(playground) >= 2, timeout=WAIT)
    playground.hide()  # as when another tab of the window is chosen
    assert playground.play_button.text() == "Play" and not playground.model.playing
    wait_for_ticks(qtbot, playground)
    hidden_at = shown_step(playground)
    wait_for_ticks(qtbot, playground)
    assert shown_step(playground) == hidden_at  # no training while hidden
    playground.show()
    assert "Paused while the playground was hidden" in playground.status.text()


def test_g_visibly_converges_on_the_gaussian(qtbot, playground):
    start = shown_float(playground, "distance")
    playground.speed_spin.setValue(100)
    click(qtbot, playground.play_button)
    qtbot.waitUntil(lambda: shown_step(playground) >= 1200, timeout=120_000)
    click(qtbot, playground.play_button)
    wait_for_ticks(qtbot, playground)
    assert start > 3.0  # G starts near 0, the target is N(4, 1.25)
    assert shown_float(playground, "distance") < 0.5
    assert abs(shown_float(playground, "value") + 1.386) < 0.15  # V near -2 log 2
    x, real = playground.plots.plotted("real")
    kde = curve(playground, "fake_kde")
    assert 0.5 * np.abs(kde - real).sum() * (x[1] - x[0]) < 0.3  # the curves overlap


def test_the_mode_collapse_preset_shows_g_on_one_bump(qtbot, playground):
    presets = playground.preset_combo
    presets.activated.emit(presets.findText("Mode collapse on Two Gaussians"))
    qtbot.waitUntil(
        lambda: playground.model.last_frame.config.lr_g == 0.01 and shown_step(playground) == 0,
        timeout=WAIT,
    )
    assert playground.settings.editors["target"].currentText() == "Two Gaussians"
    assert playground.settings.editors["seed"].value() == 1
    shares = []
    playground.frame_drawn.connect(
        lambda frame: frame.snapshot.step >= 200 and shares.append(mass_right_of_zero(playground))
    )
    playground.speed_spin.setValue(10)
    click(qtbot, playground.play_button)
    qtbot.waitUntil(lambda: shown_step(playground) >= 800, timeout=120_000)
    click(qtbot, playground.play_button)
    right = np.array(shares)  # G's share right of 0 in each frame drawn from iteration 200 on
    assert len(right) >= 20
    assert ((right < 0.05) | (right > 0.95)).mean() >= 0.8, right.round(2)  # one bump at a time
    assert (right < 0.05).any() and (right > 0.95).any()  # and it hops between them


def test_shutdown_ends_the_worker_thread(qtbot, playground):
    click(qtbot, playground.play_button)
    qtbot.waitUntil(lambda: shown_step(playground) >= 1, timeout=WAIT)
    playground.shutdown()
    assert not playground.service.alive
    assert not [t for t in threading.enumerate() if t.name.startswith("dcgan-")]


def test_a_paused_playground_stops_waking_the_gui_thread_and_a_step_wakes_it(qtbot, playground):
    """Issue 18: an idle window costs under 2% of a core whatever tab is in front. The redraw
    timer, which looks for the worker's frames 40 times a second, stops once a paused
    playground has drawn the answer to its last command, and a command starts it again."""
    click(qtbot, playground.play_button)
    qtbot.waitUntil(lambda: shown_step(playground) >= 2, timeout=WAIT)
    click(qtbot, playground.play_button)  # pause
    qtbot.waitUntil(lambda: not playground.timer.isActive(), timeout=WAIT)
    paused_at = shown_step(playground)
    click(qtbot, playground.step_button)
    assert playground.timer.isActive()
    wait_for_step(qtbot, playground, paused_at + 1)
    qtbot.waitUntil(lambda: not playground.timer.isActive(), timeout=WAIT)
