"""What the convolution explorer runs off the GUI thread: decoding a picture file.

The maths of the pages takes milliseconds on maps of a few hundred pixels a side and stays on the
GUI thread; only a picture is read on the ``dcgan-picture`` worker, every read under one key, so
a newer read replaces one not started and the worker's generation guard drops the answer of one
that was overtaken or cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject

from dcgan_studio.core.convolution import read_grey_image
from dcgan_studio.gui.workers import Worker

PICTURE = "picture"  # the key of every read


class PictureReader:
    def __init__(self, parent: QObject | None = None) -> None:
        self._worker = Worker("dcgan-picture", parent)

    def read(
        self,
        path: Path,
        on_read: Callable[[tuple[np.ndarray, str]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """``path`` as a grey image and the line describing it (``read_grey_image``)."""
        self._worker.submit(lambda: read_grey_image(path), on_read, key=PICTURE, on_error=on_error)

    def cancel(self) -> None:
        """Drop the answer of the read under way and forget the one waiting."""
        self._worker.cancel(PICTURE)

    def shutdown(self, timeout: float = 10.0) -> bool:
        return self._worker.shutdown(timeout)
