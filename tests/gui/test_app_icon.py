"""The window carries the studio's icon, and names its desktop entry (so docks match them)."""

from __future__ import annotations

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
