"""What keeps every panel of the window live in the memory benchmark, and what counts that each
one drew: the docks of each tab group raised in turn, the sample panel scrubbed back and forth,
the data previewed, new latent vectors picked; a paint counter on every dock."""

from __future__ import annotations

import random

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QAbstractScrollArea

# every dock is raised once within TOUR_S, before the baseline; then every --rotate-seconds,
# which falls between samples and not on the baseline (at 45 + k * 20 s by default)
TOUR_S = 45.0
SCRUB_FIRST_S = 32.0  # and again every --scrub-seconds: away from the samples too
SCRUB_HOLD_S = 5.0  # seconds on an earlier grid before going back to live


class PaintCounter(QObject):
    """Paint events of each dock: the dock itself, its widget and the viewport of every scroll
    area or graphics view inside it (where pyqtgraph and the scrolled panels draw)."""

    def __init__(self, docks: dict) -> None:
        super().__init__()
        self.counts = dict.fromkeys(docks, 0)
        self._owner: dict[int, str] = {}
        self._targets = []  # held, so each keeps the one Python wrapper its id() names
        for name, dock in docks.items():
            targets = [dock, dock.widget()]
            for area in [dock.widget(), *dock.widget().findChildren(QAbstractScrollArea)]:
                if isinstance(area, QAbstractScrollArea):
                    targets.append(area.viewport())
            for target in targets:
                self._targets.append(target)
                self._owner[id(target)] = name
                target.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            name = self._owner.get(id(obj))
            if name is not None:
                self.counts[name] += 1
        return False

    def reset(self) -> None:
        self.counts = dict.fromkeys(self.counts, 0)


class PanelDriver:
    """Keeps every panel of the window live: raises the docks of each tab group in turn, scrubs
    the sample panel back and forth, previews the data, picks new latent vectors."""

    def __init__(self, window, clock, rotate_s: float, scrub_s: float) -> None:
        self.window, self.clock = window, clock
        self.rotate_s, self.scrub_s = rotate_s, scrub_s
        docks = window.docks
        by_dock = {dock: name for name, dock in docks.items()}
        self.groups: list[list[str]] = []
        for name, dock in docks.items():
            if any(name in g for g in self.groups):
                continue
            group = {name} | {
                by_dock[d] for d in window.frame.tabifiedDockWidgets(dock) if d in by_dock
            }
            self.groups.append([n for n in docks if n in group])  # in the window's order
        self.position = [0] * len(self.groups)
        self.raised = dict.fromkeys(docks, 0)
        self.front_s = dict.fromkeys(docks, 0.0)
        self._front_since: dict[str, float] = {}  # dock -> when it came to the front
        for name, dock in docks.items():
            dock.visibilityChanged.connect(lambda shown, n=name: self._on_visibility(n, shown))
        self.previews = self.random_vectors = 0
        self.scrubs: list[int] = []  # the earlier grid steps picked
        self._rng = random.Random(8)
        self._tour_step = TOUR_S / max(len(g) for g in self.groups)
        self._rotations = 0
        self.rotate_timer = QTimer()
        self.rotate_timer.setSingleShot(True)
        self.rotate_timer.timeout.connect(self._rotate)
        self.scrub_timer = QTimer()
        self.scrub_timer.setSingleShot(True)
        self.scrub_timer.timeout.connect(self._scrub)
        self._scrubbed = False  # on an earlier grid now

    def start(self) -> None:
        front, now = self.front(), self.clock()
        self._front_since = dict.fromkeys(front, now)
        for g, group in enumerate(self.groups):  # each group goes on from the dock in front
            self.position[g] = next((i for i, n in enumerate(group) if n in front), 0)
        self.rotate_timer.start(int(self._tour_step * 1000))
        self.scrub_timer.start(int(SCRUB_FIRST_S * 1000))

    def stop(self) -> None:
        self.rotate_timer.stop()
        self.scrub_timer.stop()
        now = self.clock()
        for name, since in self._front_since.items():
            self.front_s[name] += now - since
        self._front_since.clear()

    def front(self) -> list[str]:
        return [n for n, d in self.window.docks.items() if not d.visibleRegion().isEmpty()]

    def _on_visibility(self, name: str, shown: bool) -> None:
        now = self.clock()
        if shown:
            self._front_since.setdefault(name, now)
        elif name in self._front_since:
            self.front_s[name] += now - self._front_since.pop(name)

    def _rotate(self) -> None:
        w = self.window
        for g, group in enumerate(self.groups):
            if len(group) < 2:
                continue
            self.position[g] = (self.position[g] + 1) % len(group)
            name = group[self.position[g]]
            w.docks[name].raise_()
            self.raised[name] += 1
            if name == "data" and not w.data.busy:
                w.data.panel.preview_button.click()
                self.previews += 1
            elif name == "latent" and w.latent.view.random_button.isEnabled():
                w.latent.view.random_button.click()
                self.random_vectors += 1
        self._rotations += 1
        touring = self._rotations * self._tour_step < TOUR_S - 1e-6
        self.rotate_timer.start(int((self._tour_step if touring else self.rotate_s) * 1000))

    def _scrub(self) -> None:
        panel = self.window.sample_panel
        if self._scrubbed:  # back to live: the right end of the scrubber
            panel.slider.setValue(panel.slider.maximum())
            self._scrubbed = False
            self.scrub_timer.start(int(max(self.scrub_s - SCRUB_HOLD_S, 1.0) * 1000))
            return
        if len(panel.steps) >= 2:
            index = self._rng.randrange(len(panel.steps) - 1)
            panel.slider.setValue(index)
            self.scrubs.append(panel.steps[index])
            self._scrubbed = True
            self.scrub_timer.start(int(SCRUB_HOLD_S * 1000))
        else:
            self.scrub_timer.start(int(self.scrub_s * 1000))
