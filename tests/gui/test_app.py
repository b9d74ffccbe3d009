"""Launching the window: a splash at once (Qt alone), then the window in its place."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSettings

from dcgan_studio.gui.app import open_window


def _qimage_array(image) -> np.ndarray:
    image = image.convertToFormat(image.Format.Format_RGB888)
    return np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, : image.width() * 3].reshape(
        image.height(), image.width(), 3)


def test_launch_shows_the_splash_first_then_the_window_replaces_it(qtbot, tmp_path):
    seen = {}

    def on_splash(splash) -> None:  # before torch and the views are imported
        seen["visible"] = splash.isVisible()
        seen["pixels"] = _qimage_array(splash.grab().toImage())

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = open_window(runs_root=tmp_path / "runs", settings=settings, on_splash=on_splash)
    qtbot.addWidget(window)
    try:
        assert seen["visible"]
        pixels = seen["pixels"]
        assert pixels.shape[:2] == (180, 460)
        assert (pixels > 200).any() and (pixels < 60).mean() > 0.5  # light title on dark
        qtbot.waitUntil(lambda: not window.launch_splash.isVisible(), timeout=10_000)
        assert window.isVisible() and window.windowTitle() == "DCGAN Studio"
    finally:
        window.close()
