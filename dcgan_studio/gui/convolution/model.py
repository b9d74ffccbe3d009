"""The convolution explorer's two concepts, Qt-free: the input every page shows (a built-in digit or
a picture file, with the line describing it) and the kernel (a named preset or the person's own
numbers).

``ExplorerInput`` reads a picture through the reads it is given (off the GUI thread, the newest
request winning); choosing a digit meanwhile cancels the read, and a file that cannot be read
leaves the previous input in place. ``Kernel`` keeps its weights exact (float32); resizing a
custom kernel keeps its centre (3 -> 5 pads with zeros, 5 -> 3 keeps the middle 3x3).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from dcgan_studio.core import convolution as cv
from dcgan_studio.errors import StudioError
from dcgan_studio.gui.convolution.text import CUSTOM, CUSTOM_TEXT, KERNEL_PRESETS
from dcgan_studio.gui.events import Event


class PictureReads(Protocol):
    """Reads a picture file off the GUI thread; a newer read or ``cancel`` drops an older one's
    answer."""

    def read(
        self,
        path: Path,
        on_read: Callable[[tuple[np.ndarray, str]], None],
        on_error: Callable[[Exception], None],
    ) -> None: ...

    def cancel(self) -> None: ...


class ExplorerInput:
    """The image every page starts from, the line describing it, and the status line."""

    def __init__(self, reads: PictureReads) -> None:
        self._reads = reads
        self.image = np.zeros((28, 28), np.float32)  # (H, W) grey in [0, 1]
        self.text = ""  # describes ``image``
        self.digit = 0  # the built-in digit last chosen
        self.status, self.status_error = "", False
        try:
            self.digit_count = cv.digit_count()
        except StudioError as exc:  # the bundled file is missing: the explorer still opens
            self.digit_count = 1
            self.text = str(exc)
        self.input_changed = Event()  # () image and text
        self.failed = Event()  # (message): the input stays
        self.status_changed = Event()  # () status or status_error

    def select_digit(self, index: int) -> None:
        """Built-in digit ``index``; a picture still being read does not replace it."""
        self._reads.cancel()
        try:
            image, label = cv.load_digit(index), cv.digit_label(index)
        except StudioError as exc:
            self._fail(str(exc))
            return
        self.digit = index
        self._set(image, f"built-in digit {index}: a handwritten {label}, 28×28")

    def open_image(self, path: str | Path) -> None:
        """Read a picture off the GUI thread; ``input_changed`` or ``failed`` follows."""
        path = Path(path)
        self._say(f"Reading {path.name}…")
        self._reads.read(path, self._on_picture_read, lambda exc: self._on_read_failed(path, exc))

    def _on_picture_read(self, result: tuple[np.ndarray, str]) -> None:
        image, text = result
        self._set(image, text)

    def _on_read_failed(self, path: Path, error: Exception) -> None:
        if isinstance(error, StudioError):
            self._fail(str(error))
        else:  # a bug: one line here, the traceback in the log
            self._fail(
                f"{path.name} could not be read ({type(error).__name__}: {error}); the "
                f"previous image is kept and the details are in the log file"
            )

    def _set(self, image: np.ndarray, text: str) -> None:
        self.image, self.text = np.asarray(image, dtype=np.float32), text
        self._say(text)
        self.input_changed.emit()

    def _fail(self, text: str) -> None:
        self._say(text, error=True)
        self.failed.emit(text)

    def _say(self, text: str, error: bool = False) -> None:
        self.status, self.status_error = text, error
        self.status_changed.emit()


def parse_weight(text: str) -> float:
    """ "-1", "0.25", "1/16", "−2" -> float; ValueError for anything else (or not finite)."""
    cleaned = text.strip().replace("−", "-").replace(",", ".")
    if "/" in cleaned:
        top, bottom = cleaned.split("/", 1)
        value = float(top) / float(bottom)  # ZeroDivisionError is an ArithmeticError
    else:
        value = float(cleaned)
    if not np.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def resized(weights: np.ndarray, size: int) -> np.ndarray:
    """A square kernel grown with zeros or cropped to ``size``, around its centre."""
    k = weights.shape[0]
    if size >= k:
        before = (size - k) // 2
        return np.pad(weights, (before, size - k - before)).astype(np.float32)
    start = (k - size) // 2
    return weights[start : start + size, start : start + size].astype(np.float32)


class Kernel:
    """The kernel of the Kernel page, which the other pages use too."""

    def __init__(self, preset: str = "edge", size: int = 3) -> None:
        self.weights = cv.kernel(preset, size)  # (k, k) float32
        self.preset = preset  # a core name ("edge", "sobel_x", ...) or "custom"
        self.changed = Event()  # () weights or preset

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    def preset_text(self) -> str:
        """The preset as a person reads it, with the size: "edge (outline) 3×3"."""
        name = KERNEL_PRESETS[self.preset][0] if self.preset in KERNEL_PRESETS else CUSTOM
        return f"{name} {self.size}×{self.size}"

    def description(self) -> str:
        return KERNEL_PRESETS[self.preset][1] if self.preset in KERNEL_PRESETS else CUSTOM_TEXT

    def set_preset(self, name: str, size: int | None = None) -> None:
        """The core's kernel ``name`` (at ``size``, or the current size if it has it)."""
        sizes = cv.kernel_sizes(name)
        size = size if size is not None else (self.size if self.size in sizes else sizes[0])
        self._set(cv.kernel(name, size), name)

    def make_custom(self) -> None:
        """ "custom" chosen: the numbers stay as they are."""
        self._set(self.weights, CUSTOM)

    def set_size(self, size: int) -> None:
        """Another size: the preset's own at that size, else the numbers padded or cropped."""
        if size == self.size:
            return
        if self.preset != CUSTOM and size in cv.kernel_sizes(self.preset):
            self.set_preset(self.preset, size)
        else:  # emboss 5x5 does not exist; a custom kernel keeps its centre
            self._set(resized(self.weights, size), CUSTOM)

    def type_cell(self, row: int, col: int, text: str) -> str:
        """What a person typed into cell (row, col); the kernel becomes custom if the number is
        new. Returns what is wrong with ``text`` ("" when it is a number)."""
        try:
            value = parse_weight(text)
        except (ValueError, ArithmeticError):
            return (
                f"Cell (row {row + 1}, column {col + 1}) = {text!r} is not "
                "a number: type one such as -1, 0.25 or 1/16."
            )
        if np.float32(value) != self.weights[row, col]:
            weights = self.weights.copy()
            weights[row, col] = value
            self._set(weights, CUSTOM)
        return ""

    def _set(self, weights: np.ndarray, preset: str) -> None:
        self.weights, self.preset = weights, preset
        self.changed.emit()
