"""The loss history a viewer plots: growable numpy columns, EMA smoothing, CSV export.

Appending is amortised O(1) (capacity doubles), so 100,000 points cost a few MB and no
per-point Python objects; views of the filled part are handed to the plot without copying.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from dcgan_studio.core.runs import durable_write_text
from dcgan_studio.core.snapshots import ScalarSnapshot

COLUMNS = ("step", "epoch", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "grad_norm_d",
           "grad_norm_g", "lr_d", "lr_g", "images_per_second", "elapsed_seconds")


class LossHistory:
    def __init__(self, capacity: int = 1024) -> None:
        self._data = {name: np.empty(capacity, np.float64) for name in COLUMNS}
        self._size = 0
        self._ema: dict[str, tuple] = {}  # name -> (smoothing, points done, last, weight, out)

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._size = 0
        self._ema.clear()

    def append(self, record: ScalarSnapshot | Mapping[str, float]) -> None:
        values = record.to_dict() if isinstance(record, ScalarSnapshot) else record
        if self._size == len(self._data["step"]):
            for name, column in self._data.items():
                self._data[name] = np.resize(column, 2 * len(column))
        for name in COLUMNS:
            self._data[name][self._size] = values.get(name, np.nan)
        self._size += 1

    def extend(self, records: Iterable[ScalarSnapshot | Mapping[str, float]]) -> None:
        for record in records:
            self.append(record)

    def column(self, name: str) -> np.ndarray:
        """A read-only view of the filled part of one column."""
        view = self._data[name][: self._size]
        view.flags.writeable = False
        return view

    def ema(self, name: str, smoothing: float) -> np.ndarray:
        """Exponential moving average, TensorBoard-style: y_t = s*y_(t-1) + (1-s)*x_t, debiased.

        Incremental: only points appended since the last call are computed, so a redraw of a
        100,000-point curve costs the new points, not the whole history."""
        x = self.column(name)
        if smoothing <= 0:
            return x
        cached = self._ema.get(name)
        if cached is None or cached[0] != smoothing or cached[1] > len(x):
            cached = (smoothing, 0, 0.0, 0.0, np.empty(len(self._data[name])))
        _, done, last, weight, out = cached
        if len(out) < len(x):
            out = np.resize(out, len(self._data[name]))
        for i in range(done, len(x)):  # a recurrence: no vectorised form in numpy
            value = x[i]
            if value == value and abs(value) != np.inf:
                last = smoothing * last + (1 - smoothing) * value
                weight = smoothing * weight + (1 - smoothing)
            out[i] = last / weight if weight else np.nan
        self._ema[name] = (smoothing, len(x), last, weight, out)
        return out[: len(x)]

    def nearest_step(self, step: float) -> int | None:
        steps = self.column("step")
        if not len(steps):
            return None
        return int(steps[np.argmin(np.abs(steps - step))])

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(self._size):
            writer.writerow(
                [int(self._data[n][i]) if n in ("step", "epoch") else repr(float(self._data[n][i]))
                 for n in COLUMNS]
            )
        return buffer.getvalue()

    def save_csv(self, path: Path) -> None:
        durable_write_text(Path(path), self.to_csv())
