"""Pinned vectors, Qt-free: the shelf, and the path and the arithmetic chosen from it.

A pinned vector has a stable id (its name can be edited) and keeps the recipe it came from
(``{"seed": 42}``, ``{"tile": 12}``...), so whatever is saved from it can say how z was made.
Part of the latent space's model (``model.LatentSelection`` holds one of each).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dcgan_studio.core.latent import METHODS, arithmetic, mean_vector, path
from dcgan_studio.gui.events import Event

FRAME_MS = 100  # one frame of the interpolation, played and saved as a GIF
SLOTS = "ABC"  # the arithmetic's operands: A − B + C


@dataclass
class Pinned:
    name: str
    z: np.ndarray  # (nz,) float32
    recipe: dict[str, Any]  # how z was made: {"seed": 42}, {"tile": 12}...


class PinnedVectors:
    """The shelf: vectors in the order they were pinned, each with a stable id and a name (made
    unique when pinned; the person may rename it)."""

    def __init__(self) -> None:
        self._pinned: dict[int, Pinned] = {}  # in shelf order
        self._ids = itertools.count(1)
        self.changed = Event()  # a vector was pinned, renamed or removed
        self.added = Event()  # (uid) just pinned, after ``changed``

    def pin(self, name: str, z: np.ndarray, recipe: dict[str, Any]) -> int:
        uid = next(self._ids)
        z = np.array(z, np.float32, copy=True).reshape(-1)
        self._pinned[uid] = Pinned(self._unique(name), z, dict(recipe))
        self.changed.emit()
        self.added.emit(uid)
        return uid

    def rename(self, uid: int, name: str) -> None:
        if uid in self._pinned and self._pinned[uid].name != name:
            self._pinned[uid].name = name
            self.changed.emit()

    def remove(self, uids: Iterable[int]) -> None:
        gone = [uid for uid in uids if self._pinned.pop(uid, None) is not None]
        if gone:
            self.changed.emit()

    def clear(self) -> None:
        self._pinned.clear()
        self.changed.emit()

    def ids(self) -> list[int]:
        return list(self._pinned)

    def names(self) -> list[str]:
        return [pinned.name for pinned in self._pinned.values()]

    def name(self, uid: int) -> str:
        return self._pinned[uid].name if uid in self._pinned else "?"

    def vector(self, uid: int) -> np.ndarray:
        return self._pinned[uid].z

    def recipe(self, uid: int) -> dict[str, Any]:
        return dict(self._pinned[uid].recipe)

    def __contains__(self, uid: object) -> bool:
        return uid in self._pinned

    def __len__(self) -> int:
        return len(self._pinned)

    def default_name(self) -> str:
        names = set(self.names())
        return next(f"v{n}" for n in itertools.count(1) if f"v{n}" not in names)

    def _unique(self, name: str) -> str:
        names, candidate, n = set(self.names()), name, 2
        while candidate in names:
            candidate, n = f"{name} ({n})", n + 1
        return candidate


class VectorChoice:
    """Pinned vectors chosen in order (the stops of a path, an arithmetic slot); a vector taken
    off the shelf leaves the choice."""

    def __init__(self, shelf: PinnedVectors) -> None:
        self._shelf = shelf
        self.ids: list[int] = []
        self.changed = Event()  # the choice changed
        self.added = Event()  # (uid) added at the end, after ``changed``
        shelf.changed.connect(self._on_shelf_changed)

    def add(self, uid: int) -> bool:
        """Add ``uid`` after the others; False (and nothing added) when it is the last one
        already: the same vector twice in a row adds nothing to a path or a mean but a frame."""
        if uid not in self._shelf or (self.ids and self.ids[-1] == uid):
            return False
        self.ids.append(uid)
        self.changed.emit()
        self.added.emit(uid)
        return True

    def clear(self) -> None:
        self.ids = []
        self.changed.emit()

    def vectors(self) -> list[np.ndarray]:
        return [self._shelf.vector(uid) for uid in self.ids]

    def names(self) -> list[str]:
        return [self._shelf.name(uid) for uid in self.ids]

    def _on_shelf_changed(self) -> None:
        kept = [uid for uid in self.ids if uid in self._shelf]
        if len(kept) != len(self.ids):
            self.ids = kept
            self.changed.emit()


class Interpolation:
    """A path through pinned vectors: its stops, the method and the number of frames."""

    def __init__(self, shelf: PinnedVectors) -> None:
        self.through = VectorChoice(shelf)
        self.method = "spherical"
        self.frames = 10  # both ends included
        self.frame_ms = FRAME_MS
        self.changed = Event()  # stops, method or frame count: the strip is another
        self.through.changed.connect(self.changed.emit)

    def set_method(self, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
        if method != self.method:
            self.method = method
            self.changed.emit()

    def set_frames(self, frames: int) -> None:
        if frames < 2:
            raise ValueError("interpolation needs two or more frames")
        if frames != self.frames:
            self.frames = frames
            self.changed.emit()

    def names(self) -> list[str]:
        return self.through.names()

    def path_z(self) -> np.ndarray | None:
        """(frames, nz) along the chosen vectors, or None while fewer than two are chosen."""
        vectors = self.through.vectors()
        return path(vectors, self.frames, self.method) if len(vectors) >= 2 else None

    def recipe(self) -> dict[str, Any]:
        return {"method": self.method, "frames": self.frames, "vectors": self.names()}


class Arithmetic:
    """A − B + C, as in the DCGAN paper: pinned vectors in each slot, several averaged."""

    def __init__(self, shelf: PinnedVectors) -> None:
        self.slots = {slot: VectorChoice(shelf) for slot in SLOTS}
        self.changed = Event()  # a slot changed
        for choice in self.slots.values():
            choice.changed.connect(self.changed.emit)

    def operands(self) -> tuple[list[np.ndarray], ...] | None:
        vectors = tuple(self.slots[slot].vectors() for slot in SLOTS)
        return vectors if all(vectors) else None

    def operand_means(self) -> np.ndarray | None:
        """(3, nz): mean A, mean B, mean C."""
        operands = self.operands()
        return None if operands is None else np.stack([mean_vector(v) for v in operands])

    def result_z(self) -> np.ndarray | None:
        """(1, nz): mean A − mean B + mean C."""
        operands = self.operands()
        return None if operands is None else arithmetic(*operands)[None]

    def recipe(self) -> dict[str, Any]:
        return {"arithmetic": {slot: self.slots[slot].names() for slot in SLOTS}}

    def expression(self) -> str:
        """ "(a1 + a2) − (b) + (c)" in the vectors' names."""
        a, b, c = ("(" + " + ".join(self.slots[slot].names()) + ")" for slot in SLOTS)
        return f"{a} − {b} + {c}"
