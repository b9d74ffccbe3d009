"""The window carries the studio's icon, and names its desktop entry (so docks match them)."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtWidgets import QWidget

from dcgan_studio import desktop
from dcgan_studio.gui.app import make_application


def test_the_application_and_its_windows_have_the_studio_icon(qtbot):
    app = make_application(theme=False)
    assert not app.windowIcon().isNull()
    assert app.desktopFileName() == desktop.APP_ID
    sizes = {(s.width(), s.height()) for s in app.windowIcon().availableSizes()}
    assert {(n, n) for n in desktop.ICON_SIZES} <= sizes
    window = QWidget()
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull()
    image = window.windowIcon().pixmap(48, 48).toImage()
    assert image.width() == 48 and image.pixelColor(24, 24).alpha() == 255  # drawn, not blank


def test_the_window_names_the_entrys_wm_class_however_it_was_started():
    """X11 docks match a window to its entry by StartupWMClass, against the WM_CLASS instance Qt
    takes from argv[0]: `python -m dcgan_studio` would say "__main__.py" (seen with xprop)."""
    entry = desktop.desktop_entry().read_text(encoding="utf-8")
    assert f"\nStartupWMClass={desktop.WM_CLASS}\n" in entry
    started_as = [sys.executable, "-c", (
        "import sys; sys.argv = ['/somewhere/dcgan_studio/__main__.py'];"
        "from dcgan_studio.gui.app import make_application;"
        "print(make_application(theme=False).arguments()[0])"
    )]  # fmt: skip
    shown = subprocess.run(
        started_as, capture_output=True, text=True, timeout=120, check=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert shown.stdout.strip() == desktop.WM_CLASS
