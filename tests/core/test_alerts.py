import math
import subprocess
import sys

import numpy as np
import pytest

from dcgan_studio.core.alerts import Alert, AlertMonitor, sample_diversity
from dcgan_studio.core.data import load_digits_raw
from dcgan_studio.core.snapshots import SampleGridSnapshot, ScalarSnapshot

NAN = math.nan


def _scalars(step, loss_d=0.7, loss_g=1.5, grad_norm_g=0.5):
    return ScalarSnapshot(
        step=step,
        epoch=0,
        epoch_progress=0.0,
        loss_d=loss_d,
        loss_g=loss_g,
        d_x=0.6,
        d_g_z1=0.4,
        d_g_z2=0.4,
        grad_norm_d=0.5,
        grad_norm_g=grad_norm_g,
        lr_d=2e-4,
        lr_g=2e-4,
        images_per_second=100.0,
        elapsed_seconds=1.0,
    )


def _feed(monitor, steps, **values):
    """Scalars at each step; every alert raised along the way, as (step, kind)."""
    return [(a.step, a.kind) for s in steps for a in monitor.observe_scalars(_scalars(s, **values))]


@pytest.fixture(scope="module")
def digits():
    images, _ = load_digits_raw()
    return images[:, :, :, None]  # (N, 28, 28, 1)


def _grid(step, images):
    return SampleGridSnapshot(step=step, images=images)


def _same(digits, n=64):
    return np.repeat(digits[:1], n, axis=0)  # one digit, n times


# ---- d_wins -------------------------------------------------------------------------------------
def test_d_wins_raises_after_patience_in_steps_not_before_and_once():
    monitor = AlertMonitor()  # floor 0.05, patience 200 steps
    assert _feed(monitor, range(0, 100, 10)) == []
    assert _feed(monitor, range(100, 300, 10), loss_d=0.01) == []  # 190 steps low: not yet
    assert _feed(monitor, [300], loss_d=0.01) == [(300, "d_wins")]
    assert _feed(monitor, range(310, 500, 10), loss_d=0.01) == []  # active: not returned again
    assert set(monitor.active) == {"d_wins"} and monitor.active["d_wins"].step == 300


def test_d_wins_clears_above_twice_the_floor_and_fires_again():
    monitor = AlertMonitor(d_loss_patience=50)
    assert _feed(monitor, range(0, 60, 10), loss_d=0.01) == [(50, "d_wins")]
    _feed(monitor, [60], loss_d=0.08)  # above the floor but under 2x: still showing
    assert "d_wins" in monitor.active
    _feed(monitor, [70], loss_d=0.2)
    assert monitor.active == {}
    # a new episode needs the full patience again
    assert _feed(monitor, range(80, 130, 10), loss_d=0.01) == []
    assert _feed(monitor, [130], loss_d=0.01) == [(130, "d_wins")]


def test_d_wins_streak_is_broken_by_a_healthy_loss():
    monitor = AlertMonitor()
    assert _feed(monitor, range(0, 190, 10), loss_d=0.01) == []
    _feed(monitor, [190], loss_d=0.5)
    assert _feed(monitor, range(200, 400, 10), loss_d=0.01) == []  # restarted at 200
    assert _feed(monitor, [400], loss_d=0.01) == [(400, "d_wins")]


def test_d_wins_counts_steps_not_snapshots():
    monitor = AlertMonitor(d_loss_patience=200)
    # five snapshots, 100 steps apart: 400 steps low
    assert _feed(monitor, [0, 100], loss_d=0.01) == []
    assert _feed(monitor, [200], loss_d=0.01) == [(200, "d_wins")]
    monitor = AlertMonitor(d_loss_patience=200)
    assert _feed(monitor, [5] * 50, loss_d=0.01) == []  # many snapshots at one step: 0 steps


# ---- g_vanishing --------------------------------------------------------------------------------
def test_g_vanishing_raises_after_patience_and_clears_above_ten_times_the_floor():
    monitor = AlertMonitor()  # floor 1e-3, patience 200
    assert _feed(monitor, range(0, 200, 10), grad_norm_g=1e-4) == []
    assert _feed(monitor, [200, 210], grad_norm_g=1e-4) == [(200, "g_vanishing")]
    _feed(monitor, [220], grad_norm_g=5e-3)  # recovering, but under 10x the floor
    assert "g_vanishing" in monitor.active
    _feed(monitor, [230], grad_norm_g=2e-2)
    assert "g_vanishing" not in monitor.active
    assert _feed(monitor, range(240, 440, 10), grad_norm_g=1e-4) == []
    assert _feed(monitor, [440], grad_norm_g=1e-4) == [(440, "g_vanishing")]


def test_g_vanishing_skips_unmeasured_grad_norms():
    monitor = AlertMonitor()
    # measured on every fifth snapshot only; NaN in between neither breaks nor counts
    raised = []
    for step in range(100, 400, 10):
        norm = 1e-4 if step % 50 == 0 else NAN
        raised += _feed(monitor, [step], grad_norm_g=norm)
    assert raised == [(300, "g_vanishing")]
    # NaN and infinity never clear it either
    _feed(monitor, [400], grad_norm_g=NAN)
    _feed(monitor, [410], grad_norm_g=math.inf)
    assert "g_vanishing" in monitor.active
    # and NaN alone never raises it
    monitor = AlertMonitor(g_grad_patience=0)
    assert _feed(monitor, range(0, 1000, 10), grad_norm_g=NAN) == []


# ---- non_finite ---------------------------------------------------------------------------------
def test_non_finite_loss_is_an_immediate_error_once_and_again_after_recovery():
    monitor = AlertMonitor()
    assert _feed(monitor, [10, 20]) == []
    raised = monitor.observe_scalars(_scalars(30, loss_g=NAN))
    assert [(a.kind, a.severity, a.step) for a in raised] == [("non_finite", "error", 30)]
    assert "loss_g" in raised[0].message
    assert _feed(monitor, [40], loss_g=NAN) == []
    assert _feed(monitor, [50], loss_d=math.inf) == []  # still the same episode
    _feed(monitor, [60])
    assert monitor.active == {}
    assert _feed(monitor, [70], loss_d=-math.inf) == [(70, "non_finite")]


def test_nan_before_a_loss_was_ever_measured_is_not_divergence():
    # the engine reports loss_g as NaN until G's first update (e.g. Step D at step 0)
    monitor = AlertMonitor()
    assert _feed(monitor, [0, 0], loss_g=NAN) == []
    assert _feed(monitor, [0], loss_g=math.inf) == [(0, "non_finite")]
    monitor = AlertMonitor()
    _feed(monitor, [1])
    assert _feed(monitor, [2], loss_g=NAN) == [(2, "non_finite")]


def test_a_nan_loss_d_does_not_break_or_clear_d_wins():
    monitor = AlertMonitor(d_loss_patience=100)
    _feed(monitor, range(0, 60, 10), loss_d=0.01)
    _feed(monitor, [60], loss_d=NAN)
    assert _feed(monitor, range(70, 110, 10), loss_d=0.01) == [(100, "d_wins")]
    _feed(monitor, [110], loss_d=NAN)
    assert {"d_wins", "non_finite"} == set(monitor.active)


# ---- mode collapse ------------------------------------------------------------------------------
def test_sample_diversity_of_identical_and_varied_images(digits):
    assert sample_diversity(_same(digits)) == pytest.approx(0.0, abs=1e-6)
    real = sample_diversity(digits[:64])
    assert 0.2 < real < 0.6
    # grayscale or one channel, (N, H, W) or (N, H, W, C), and RGB copies: one number
    assert sample_diversity(digits[:64, :, :, 0]) == pytest.approx(real)
    assert sample_diversity(np.repeat(digits[:64], 3, axis=3)) == pytest.approx(real)
    # black against white, half each: distance 1 on 32*32 of the 63 pairs of each image
    halves = np.zeros((64, 8, 8, 1), np.uint8)
    halves[32:] = 255
    assert sample_diversity(halves) == pytest.approx(32 * 32 / (64 * 63 / 2))
    # at most 64 images compared, evenly spread over the batch
    assert sample_diversity(digits[:5000]) == pytest.approx(
        sample_diversity(digits[np.linspace(0, 4999, 64).round().astype(int)])
    )
    with pytest.raises(ValueError):
        sample_diversity(digits[:1])


def test_identical_samples_collapse_against_real_digits_and_varied_ones_do_not(digits):
    monitor = AlertMonitor()  # ratio 0.25, patience 3 grids
    assert not monitor.has_real_reference
    monitor.observe_real_diversity(digits[:64])
    assert monitor.has_real_reference
    for i, step in enumerate(range(50, 550, 50)):  # other real digits as G's samples: healthy
        assert monitor.observe_samples(_grid(step, digits[64 * (i + 1) : 64 * (i + 2)])) == []
    assert monitor.active == {}
    assert monitor.observe_samples(_grid(550, _same(digits))) == []
    assert monitor.observe_samples(_grid(600, _same(digits))) == []
    raised = monitor.observe_samples(_grid(650, _same(digits)))
    assert [(a.kind, a.step, a.severity) for a in raised] == [("mode_collapse", 650, "warning")]
    assert "real images" in raised[0].message
    assert monitor.observe_samples(_grid(700, _same(digits))) == []  # once
    assert monitor.observe_samples(_grid(750, digits[:64])) == []
    assert monitor.active == {}  # cleared by a varied grid
    for step in (800, 850):
        assert monitor.observe_samples(_grid(step, _same(digits))) == []
    assert [a.step for a in monitor.observe_samples(_grid(900, _same(digits)))] == [900]


def test_collapse_needs_consecutive_grids(digits):
    monitor = AlertMonitor()
    monitor.observe_real_diversity(digits[:64])
    for step, images in [
        (50, _same(digits)),
        (100, _same(digits)),
        (150, digits[64:128]),
        (200, _same(digits)),
        (250, _same(digits)),
    ]:
        assert monitor.observe_samples(_grid(step, images)) == []
    assert monitor.active == {}


def test_the_same_grid_step_is_judged_once(digits):
    # Step D while paused republishes the grid of an unchanged G: not three grids in a row
    monitor = AlertMonitor()
    monitor.observe_real_diversity(digits[:64])
    for _ in range(5):
        assert monitor.observe_samples(_grid(100, _same(digits))) == []


def test_without_a_real_reference_the_best_grid_after_warm_up_is_the_reference(digits):
    monitor = AlertMonitor()
    # the first two grids are warm-up: even identical ones are not judged
    for step in (50, 100):
        assert monitor.observe_samples(_grid(step, _same(digits))) == []
    assert monitor.observe_samples(_grid(150, digits[:64])) == []
    assert monitor.observe_samples(_grid(200, digits[64:128])) == []
    for step in (250, 300):
        assert monitor.observe_samples(_grid(step, _same(digits))) == []
    raised = monitor.observe_samples(_grid(350, _same(digits)))
    assert [a.kind for a in raised] == ["mode_collapse"]
    assert "most varied grid" in raised[0].message


def _two_tone(diversity, n=64):
    """n images, half black and half flat gray, with the given mean pairwise distance."""
    pairs_across = (n // 2) ** 2 / (n * (n - 1) / 2)
    images = np.zeros((n, 8, 8, 1), np.uint8)
    images[n // 2 :] = round(255 * diversity / pairs_across)
    return images


def test_step_zero_noise_is_never_the_reference(digits):
    rng = np.random.default_rng(0)
    noise = (rng.integers(0, 2, (64, 28, 28, 1)) * 255).astype(np.uint8)  # an untrained G's mess
    real, loud = sample_diversity(digits[:64]), sample_diversity(noise)
    assert loud > 1.5 * real
    middle = _two_tone(0.25 * (real + loud) / 2)  # collapsed against the noise, not the digits
    assert 0.25 * real < sample_diversity(middle) < 0.25 * loud

    monitor = AlertMonitor()
    monitor.observe_real_diversity(digits[:64])
    assert monitor.observe_samples(_grid(0, noise)) == []
    for step in (50, 100, 150, 200):
        assert monitor.observe_samples(_grid(step, middle)) == []
    # and a step-0 grid is not judged or counted towards the warm-up either
    monitor = AlertMonitor()
    for _ in range(3):
        assert monitor.observe_samples(_grid(0, _same(digits))) == []
    monitor.observe_samples(_grid(50, noise))
    monitor.observe_samples(_grid(100, noise))
    monitor.observe_samples(_grid(150, digits[:64]))  # the first to count as the reference
    for step in (200, 250, 300, 350):
        assert monitor.observe_samples(_grid(step, middle)) == []


# ---- texts, reset, validation -------------------------------------------------------------------
def _one_of_each(digits):
    monitor = AlertMonitor(d_loss_patience=0, g_grad_patience=0, collapse_patience=1)
    alerts = monitor.observe_scalars(_scalars(10, loss_d=0.001, grad_norm_g=1e-5))
    alerts += monitor.observe_scalars(_scalars(20, loss_d=0.001, loss_g=math.inf, grad_norm_g=NAN))
    monitor.observe_real_diversity(digits[:64])
    alerts += monitor.observe_samples(_grid(30, _same(digits)))
    return monitor, {a.kind: a for a in alerts}


def test_every_alert_explains_itself_and_names_what_to_try(digits):
    monitor, alerts = _one_of_each(digits)
    assert set(alerts) == {"d_wins", "g_vanishing", "non_finite", "mode_collapse"}
    assert monitor.active == alerts
    for alert in alerts.values():
        assert isinstance(alert, Alert)
        assert alert.title and len(alert.title.split()) <= 6
        assert alert.message.endswith(".") and alert.message.count(". ") <= 2
        assert alert.what_to_try.startswith("Try: ") and "\n" not in alert.what_to_try
        assert alert.severity == ("error" if alert.kind == "non_finite" else "warning")
    d = alerts["d_wins"]
    assert "D" in d.title and "perfectly" in d.message and "gradient" in d.message
    assert all(s in d.what_to_try for s in ("learning rate", "label smoothing", "D steps"))
    assert "gradient" in alerts["g_vanishing"].message
    assert "learning rate" in alerts["g_vanishing"].what_to_try
    assert "mode collapse" in alerts["mode_collapse"].title
    assert "checkpoint" in alerts["mode_collapse"].what_to_try
    assert "inf" in alerts["non_finite"].message and "loss_g" in alerts["non_finite"].message
    assert "checkpoint" in alerts["non_finite"].what_to_try


def test_reset_forgets_alerts_streaks_and_reference(digits):
    monitor, _ = _one_of_each(digits)
    monitor.active.clear()  # a copy: the monitor's own state is untouched
    assert len(monitor.active) == 4
    monitor.reset()
    assert monitor.active == {}
    assert monitor.observe_samples(_grid(40, _same(digits))) == []  # warm-up again: no reference
    assert [a.kind for a in monitor.observe_scalars(_scalars(50, loss_d=0.001))] == ["d_wins"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"d_loss_floor": 0},
        {"g_grad_patience": -1},
        {"collapse_ratio": 1.5},
        {"collapse_patience": 0},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AlertMonitor(**kwargs)


def test_importing_alerts_loads_no_qt():
    code = (
        "import sys, dcgan_studio.core.alerts\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph') or m.startswith('dcgan_studio.gui')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
