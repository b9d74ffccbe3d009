"""The window's menu bar: File, Run, View and Help, each action calling one command it is given.

The actions the run's state enables or disables (Start, Pause, Stop, New, Open, Follow) follow
``set_state`` and ``set_following``; everything else is always available.
"""

from __future__ import annotations

import platform
from collections.abc import Callable

import torch
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox

from dcgan_studio import __version__

Keys = QKeySequence.StandardKey
# each menu: (command, text, shortcut, tooltip); None for a separator
FILE = [
    ("new", "&New Run", Keys.New, "Forget the opened run: Start begins a new one."),
    ("open", "&Open Run…", Keys.Open, "View a saved run, or continue it with Start."),
    (
        "follow",
        "&Follow Run…",
        None,
        "Watch a run that another process writes (a terminal, torchrun, another machine through "
        "a shared folder): what it saves shows here as it lands; read-only.",
    ),
    (
        "stop_following",
        "Stop Fo&llowing",
        None,
        "Keep the followed run on screen as it is now; Start then continues it here.",
    ),
    (
        "save_grid",
        "&Save Grid…",
        Keys.Save,
        "Save G's images of the grid on screen as a PNG, with a JSON sidecar (D's scores in it).",
    ),
    (
        "save_scored_grid",
        "Save Grid with &D's Opinion…",
        None,
        "Save the grid with D's bars under the tiles, as the window shows them.",
    ),
    ("export_csv", "&Export Losses as CSV…", None, "Write the loss history to a CSV file."),
    (
        "export_generator",
        "Export &Generator…",
        None,
        "Write G (or G (EMA), as on screen) of the run's checkpoint at or before the grid on "
        "screen as ONNX, TorchScript or safetensors, with a JSON sidecar: its input is z, its "
        "output images in [-1, 1].",
    ),
    None,
    ("quit", "&Quit", Keys.Quit, ""),
]
RUN = [
    ("start", "&Start", "Ctrl+Return", ""),
    ("pause", "&Pause / Resume", Qt.Key.Key_Space, ""),
    ("stop", "S&top", "Ctrl+.", ""),
    None,
    ("step", "Step &once", "Ctrl+Right", ""),
    ("step_d", "Step &D only", "Ctrl+D", ""),
    ("step_g", "Step &G only", "Ctrl+G", ""),
    None,
    (
        "branch",
        "&Branch from Here…",
        "Ctrl+B",
        "Start a new run from the opened run's checkpoint at (or before) the grid on screen, "
        "with some settings changed.",
    ),
    ("library", "Runs &Library", "Ctrl+L", "Every run: open, compare, branch, rename, delete."),
]
RESET_LAYOUT = (
    "reset_layout",
    "&Reset Layout",
    None,
    "Every panel back in its place and size, as on the first launch.",
)


class Menus:
    def __init__(
        self,
        frame: QMainWindow,
        docks: dict[str, QDockWidget],
        commands: dict[str, Callable[[], None]],
        device: Callable[[], str],
    ) -> None:
        """``commands``: what each entry of FILE, RUN and RESET_LAYOUT does (but quit);
        ``device()``: where training runs, for About."""
        self.frame, self._device = frame, device
        self._commands = {**commands, "quit": frame.close, "about": self.about}
        self.actions: dict[str, QAction] = {}
        bar = frame.menuBar()
        self._fill(bar.addMenu("&File"), FILE)
        self._fill(bar.addMenu("&Run"), RUN)
        view = bar.addMenu("&View")
        for dock in docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self._fill(view, [RESET_LAYOUT])
        self.actions["reset_layout"].setObjectName("reset-layout-action")
        self._fill(bar.addMenu("&Help"), [("about", "&About DCGAN Studio", None, "")])
        actions = self.actions  # the ones the window's state or a test reaches by name
        self.new, self.open, self.start = actions["new"], actions["open"], actions["start"]
        self.pause, self.stop = actions["pause"], actions["stop"]
        self.save_grid, self.save_scored_grid = actions["save_grid"], actions["save_scored_grid"]
        self.export_csv, self.reset_layout = actions["export_csv"], actions["reset_layout"]
        self.follow, self.stop_following = actions["follow"], actions["stop_following"]
        self._state, self._following = "idle", False

    def _fill(self, menu: QMenu, entries: list) -> None:
        for entry in entries:
            if entry is None:
                menu.addSeparator()
                continue
            name, text, shortcut, tip = entry
            self.actions[name] = self._action(menu, text, self._commands[name], shortcut, tip)

    def _action(self, menu: QMenu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self.frame)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def set_state(self, state: str) -> None:
        """idle | starting | running | paused | stopping"""
        self._state = state
        running = state in ("running", "paused")
        self.pause.setEnabled(running)
        self.stop.setEnabled(running)
        for action in (self.open, self.new, self.follow):
            action.setEnabled(state == "idle")
        # a followed run is read-only: another process trains it
        for name in ("start", "branch"):
            self.actions[name].setEnabled(state == "idle" and not self._following)
        for name in ("step", "step_d", "step_g"):
            self.actions[name].setEnabled(not self._following)
        self.stop_following.setEnabled(self._following)

    def set_following(self, following: bool) -> None:
        """The window follows a run another process writes (True), or not."""
        self._following = following
        self.set_state(self._state)

    def about(self) -> None:
        QMessageBox.about(
            self.frame,
            "About DCGAN Studio",
            (
                f"<b>DCGAN Studio {__version__}</b><br>Train a DCGAN and watch it learn.<br><br>"
                f"torch {torch.__version__}<br>PySide6 (Qt) {pyside_version}<br>"
                f"Python {platform.python_version()}<br>device: {self._device()}"
            ),
        )
