"""From snapshot type to the views that want it: the window's redraw timer takes the newest
snapshot of each kind from the training session and routes each to its handlers, in the order
they were connected, and remembers it (a view brought to the front catches up from there).
Qt-free: any callable can be a handler."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from dcgan_studio.core.snapshots import Snapshot


class SnapshotRouter:
    def __init__(self) -> None:
        self._routes: dict[type, list[Callable[[Snapshot], None]]] = defaultdict(list)
        self._last: dict[type, Snapshot] = {}

    def connect(self, kind: type, handler: Callable[[Snapshot], None]) -> None:
        self._routes[kind].append(handler)

    def route(self, latest: dict[type, Snapshot]) -> None:
        """``latest``: the newest snapshot of each kind since the last redraw."""
        self._last.update(latest)
        for kind, snap in latest.items():
            for handler in self._routes.get(kind, ()):
                handler(snap)

    def last(self, kind: type) -> Snapshot | None:
        """The newest snapshot of ``kind`` routed so far."""
        return self._last.get(kind)

    def forget(self) -> None:
        """Another run is shown: the snapshots remembered are not its own."""
        self._last.clear()
