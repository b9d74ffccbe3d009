"""G (EMA) beside G in the window: the sample grid and the latent space draw with either, and
what is saved says which, and can be made again."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from dcgan_studio.core.recipes import reproduce
from dcgan_studio.gui.training.sample_panel import scored_mosaic
from tests.gui.test_main_window import _start


def _trained(qtbot, make_window, iterations: int = 60):
    window = make_window(iterations=iterations)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    return window


def test_the_grid_shows_g_ema_when_chosen_and_save_grid_says_so(qtbot, make_window, tmp_path):
    window = _trained(qtbot, make_window)
    panel = window.sample_panel
    grid = panel.live_grid
    assert grid.ema_images is not None and not np.array_equal(grid.ema_images, grid.images)
    g_shown = panel.shown_grid.copy()
    panel.generator_box.setCurrentIndex(panel.generator_box.findData(True))  # G (EMA)
    expected = scored_mosaic(grid.ema_images, grid.ema_d_probabilities)
    assert np.array_equal(panel.shown_grid, expected) and not np.array_equal(g_shown, expected)
    assert panel.fake_view.title.text().startswith("G (EMA)")
    path = window.files.save_grid(tmp_path / "ema.png")
    saved = np.asarray(Image.open(path).convert("RGB"))
    assert np.array_equal(saved, scored_mosaic(grid.ema_images, None))
    assert json.loads(path.with_suffix(".json").read_text())["generator"] == "G (EMA)"
    panel.generator_box.setCurrentIndex(panel.generator_box.findData(False))  # back to G
    assert np.array_equal(panel.shown_grid, g_shown)


def test_the_latent_space_draws_with_g_ema_and_its_files_are_made_again(
    qtbot, make_window, tmp_path
):
    window = _trained(qtbot, make_window)
    latent = window.latent
    window.docks["latent"].raise_()
    latent.open_checkpoint(window.run.run_dir.latest_checkpoint())
    qtbot.waitUntil(lambda: latent.view.main_view.shown is not None, timeout=30_000)
    g_image = latent.view.main_view.shown.copy()
    latent.view.generator_box.setCurrentIndex(latent.view.generator_box.findData(True))
    qtbot.waitUntil(
        lambda: latent.jobs.renderer is not None and latent.jobs.renderer.ema, timeout=30_000
    )
    qtbot.waitUntil(
        lambda: not np.array_equal(latent.view.main_view.shown, g_image), timeout=30_000
    )
    assert latent.view.source_label.text().startswith("G (EMA) at step 60")
    saved = []
    latent.saved.connect(saved.append)
    latent.save("image", tmp_path / "ema-image.png")
    qtbot.waitUntil(lambda: bool(saved), timeout=30_000)
    (image,) = saved[0]
    assert json.loads(image.with_suffix(".json").read_text())["ema"] is True
    again, _ = reproduce(image.with_suffix(".json"), tmp_path / "again.png")
    assert again.read_bytes() == image.read_bytes()  # the same G (EMA), the same bytes
