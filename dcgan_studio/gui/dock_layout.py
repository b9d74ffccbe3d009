"""The docks of the training workspace (``DOCKS``), where they go, and the rule that keeps the
centre in view.

The default layout is built from a plan (an area and a tab group per dock), never from a state
saved at start-up: a state saved before the window was on screen records every dock as hidden,
and View > Reset Layout restored exactly that. Whatever layout is on screen (the default, one
restored from the last session, perhaps saved on a larger screen, or the window made smaller),
the sample grid in the centre keeps at least half the window's width and most of its height:
the docks at the sides are narrowed, never the centre starved. (Below about 1,000 px the docks
reach their minimum widths first, and the centre takes what is left.)

``side_widths`` and ``fitted`` are the arithmetic, free of Qt; ``DockLayout`` applies them.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

LEFT, RIGHT, BOTTOM = (
    Qt.DockWidgetArea.LeftDockWidgetArea,
    Qt.DockWidgetArea.RightDockWidgetArea,
    Qt.DockWidgetArea.BottomDockWidgetArea,
)
SEPARATORS = 16  # px: the splitters between the docks and the centre, with room to spare
LEFT_SHARE, RIGHT_SHARE = 0.20, 0.28  # the default split of that share
LEFT_RANGE, RIGHT_RANGE = (280, 360), (360, 620)  # px: the default widths' bounds
BOTTOM_SHARE, BOTTOM_RANGE = 0.34, (200, 340)  # the bottom docks' default height
BOTTOM_MAX_SHARE = 0.45  # of the docks' column height, at most, for the bottom docks

# the docks of the training workspace: name -> (title, area), and the tab groups (first in front)
DOCKS = {
    "controls": ("Training", LEFT),
    "data": ("Data", LEFT),
    "losses": ("Losses and D's output", BOTTOM),
    "gradients": ("Gradients", BOTTOM),
    "quality": ("Quality", BOTTOM),
    "features": ("Feature maps", RIGHT),
    "architecture": ("Architecture", RIGHT),
    "filters": ("Filters", RIGHT),
    "latent": ("Latent space", RIGHT),
}
DOCK_GROUPS = [
    ["controls", "data"],
    ["losses", "gradients", "quality"],
    ["features", "architecture", "filters", "latent"],
]


def side_widths(window_width: int, left_min: int = 0, right_min: int = 0) -> tuple[int, int]:
    """The default (left, right) dock widths for a window this wide: most to the right (the
    feature maps and the latent space), within bounds, together at most ``side_budget``."""
    left = min(max(round(LEFT_SHARE * window_width), LEFT_RANGE[0]), LEFT_RANGE[1])
    right = min(max(round(RIGHT_SHARE * window_width), RIGHT_RANGE[0]), RIGHT_RANGE[1])
    left, right = max(left, left_min), max(right, right_min)
    budget = side_budget(window_width)
    if left + right <= budget:
        return left, right
    # a small window: both give up in proportion, neither below its minimum
    new_left = max(left_min, int(left * budget / (left + right)))
    new_right = max(right_min, budget - new_left)
    if new_left + new_right > budget:  # the right one is at its minimum: the left gives up more
        new_left = max(left_min, budget - new_right)
    return new_left, new_right


def fitted(
    window_width: int, left: int, right: int, left_min: int = 0, right_min: int = 0
) -> tuple[int, int] | None:
    """None when the docks fit ``side_budget``; else the default widths of this window (a
    layout from a larger screen, or a window made smaller, cannot keep its docks' widths: the
    defaults share what there is as a fresh layout would)."""
    if left + right <= side_budget(window_width):
        return None
    return side_widths(window_width, left_min, right_min)


def side_budget(window_width: int) -> int:
    """What the left and right docks may take together: all but half the window (and the
    splitters)."""
    return window_width // 2 - SEPARATORS


def bottom_height(window_height: int) -> int:
    return min(max(round(BOTTOM_SHARE * window_height), BOTTOM_RANGE[0]), BOTTOM_RANGE[1])


class _SeparatorDrags(QObject):
    """Sees the person drag a separator between docks: the window's own mouse releases (the
    separators are the main window's, not a child's)."""

    def __init__(self, layout: DockLayout) -> None:
        super().__init__()
        self.dock_layout = layout

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.MouseButtonRelease and obj is self.dock_layout.window:
            self.dock_layout.default_sized = False  # the person's own sizes from now on
        return False


class DockLayout:
    """The docks of a main window: their default places, and the fit to the window's size."""

    def __init__(
        self,
        window: QMainWindow,
        docks: dict[str, QDockWidget],
        areas: dict[str, Qt.DockWidgetArea],
        groups: list[list[str]],
    ) -> None:
        self.window, self.docks, self.areas, self.groups = window, docks, areas, groups
        self._drags = _SeparatorDrags(self)
        self._pending = False
        self._size_pending = False  # the default sizes, applied once the layout is on screen
        self._state_pending: QByteArray | None = None  # a saved layout, restored then too
        # the docks are sized as the default layout sized them (not restored, not dragged by
        # the person): such a layout follows the window, so a maximised window gets the
        # default widths of its new size, not a wide centre or a wide dock
        self.default_sized = False
        window.installEventFilter(self._drags)

    @classmethod
    def of_views(cls, window: QMainWindow, views: dict[str, QWidget]) -> DockLayout:
        """The training workspace's docks (``DOCKS``), each holding its view, laid out by plan."""
        docks = {}
        for name, (title, _) in DOCKS.items():
            docks[name] = dock = QDockWidget(title, window)
            dock.setObjectName(f"{name}-dock")  # the key of its place in a saved layout
            dock.setWidget(views[name])
        # the right-hand views run the full height: feature maps need it more than the plots
        window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
        window.setCorner(Qt.Corner.TopRightCorner, RIGHT)
        return cls(window, docks, {name: area for name, (_, area) in DOCKS.items()}, DOCK_GROUPS)

    def apply_default(self) -> None:
        """Every dock visible, docked in its area, tabbed in its group with the first in front,
        and sized for the window."""
        for name, dock in self.docks.items():
            dock.setFloating(False)
            self.window.addDockWidget(self.areas[name], dock)  # moves it home if it was elsewhere
            dock.show()
        for first, *rest in self.groups:
            for name in rest:
                self.window.tabifyDockWidget(self.docks[first], self.docks[name])
            self.docks[first].raise_()
        self._size_pending = True  # sizes given before the layout's first pass do not hold
        self.default_sized = True
        self.settle_soon()

    def size_default(self, tries: int = 5) -> None:
        left, right = (self.docks[self.groups_in(area)[0]] for area in (LEFT, RIGHT))
        widths = side_widths(self.window.width(), _min_width(left), _min_width(right))
        self._resize([left, right], widths, Qt.Orientation.Horizontal)
        self._resize(
            [self.docks[self.groups_in(BOTTOM)[0]]],
            [bottom_height(self.window.height())],
            Qt.Orientation.Vertical,
        )
        if tries > 1:  # a window just mapped on X11 ignores the first sizes: look, and again
            QTimer.singleShot(60, self.window, lambda: self._check_default(widths, tries - 1))

    def _check_default(self, widths: tuple[int, int], tries: int) -> None:
        left, right = (self.docks[self.groups_in(area)[0]] for area in (LEFT, RIGHT))
        if (
            self.default_sized
            and max(abs(left.width() - widths[0]), abs(right.width() - widths[1])) > 4
        ):
            self.size_default(tries)

    def _resize(self, docks: list[QDockWidget], sizes, orientation: Qt.Orientation) -> None:
        # one call for all: on X11 a second call started from sizes the first had not applied
        # yet. The sizes respect the docks' minimums already, so Qt has nothing to share out
        self.window.resizeDocks(docks, [int(size) for size in sizes], orientation)

    def groups_in(self, area: Qt.DockWidgetArea) -> list[str]:
        return [group[0] for group in self.groups if self.areas[group[0]] == area]

    def restore(self, state: QByteArray | None) -> bool:
        """The default layout, then ``state`` over it (a layout saved by Qt); then fitted to the
        window. False when there was no state or Qt refused it."""
        self.apply_default()
        if (
            not isinstance(state, QByteArray)
            or state.isEmpty()
            or not self.window.restoreState(state)
        ):
            return False
        # at once for which docks show and where; once more when the layout has had its first
        # pass, for their sizes (restored into a window already on screen, Qt gets them wrong)
        self._size_pending, self._state_pending = False, state
        self.default_sized = False
        self.settle_soon()
        return True

    # ---- keeping the centre -------------------------------------------------------------------
    def settle_soon(self) -> None:
        """Fit the docks once the layout has settled (the next turn of the event loop); many
        calls in one turn fit once."""
        if self._pending:
            return
        self._pending = True
        QTimer.singleShot(0, self.window, self._settle)

    def _settle(self) -> None:
        from dcgan_studio.gui.workspaces import hide_stale_tab_bars

        self._pending = False
        if not self.window.isVisible():
            return  # showEvent settles again
        if self._state_pending is not None:
            state, self._state_pending = self._state_pending, None
            self.window.restoreState(state)
        if self._size_pending:
            self._size_pending = False
            self.size_default()
        hide_stale_tab_bars(self.window)
        self.fit()

    def window_resized(self) -> None:
        """A default layout is sized for the new size; any layout is fitted to it."""
        if self.default_sized:
            self._size_pending = True
        self.settle_soon()

    def _front(self, area: Qt.DockWidgetArea) -> QDockWidget | None:
        """A docked, visible dock of ``area`` (any of a tab group: they share one size)."""
        for dock in self.docks.values():
            if (
                self.window.dockWidgetArea(dock) == area
                and dock.isVisible()
                and not dock.isFloating()
            ):
                return dock
        return None

    def fit(self) -> bool:
        """Narrow the side docks (and lower the bottom ones) where they take the centre's room;
        True when something was resized."""
        window, centre = self.window, self.window.centralWidget()
        if centre is None or not window.isVisible():
            return False
        changed = False
        geometry = centre.geometry()
        left_dock, right_dock = self._front(LEFT), self._front(RIGHT)
        left = left_dock.width() if left_dock is not None else 0
        right = right_dock.width() if right_dock is not None else 0
        widths = fitted(window.width(), left, right, _min_width(left_dock), _min_width(right_dock))
        if widths is not None:
            docks = [(d, w) for d, w in zip((left_dock, right_dock), widths) if d is not None]
            self._resize([d for d, _ in docks], [w for _, w in docks], Qt.Orientation.Horizontal)
            changed = True
        bottom_dock = self._front(BOTTOM)
        if bottom_dock is not None:
            column = geometry.height() + bottom_dock.height()
            if bottom_dock.height() > BOTTOM_MAX_SHARE * column:
                self._resize([bottom_dock], [BOTTOM_MAX_SHARE * column], Qt.Orientation.Vertical)
                changed = True
        return changed


def _min_width(dock: QDockWidget | None) -> int:
    if dock is None:
        return 0
    return max(dock.minimumWidth(), dock.minimumSizeHint().width())
