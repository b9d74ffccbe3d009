"""The loss history a viewer plots: growable numpy columns, EMA smoothing, CSV export.

Appending is amortised O(1) (capacity doubles), so 100,000 points cost a few MB and no
per-point Python objects; views of the filled part are handed to the plot without copying.

Besides the fixed ``COLUMNS``, a record may carry per-layer gradient norms ("grad.g.convT1",
"grad.d.conv2", ...). Such a column is created the first time its key is seen, NaN for the rows
before, and lives until ``clear()``; the order of first appearance (the network's layer order) is
kept for the CSV header and ``layer_columns``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from dcgan_studio.core.runs import durable_write_text
from dcgan_studio.core.snapshots import GRAD_PREFIX, ScalarSnapshot

COLUMNS = (
    "step",
    "epoch",
    "loss_d",
    "loss_g",
    "d_x",
    "d_g_z1",
    "d_g_z2",
    "grad_norm_d",
    "grad_norm_g",
    "lr_d",
    "lr_g",
    "images_per_second",
    "elapsed_seconds",
)


class LossHistory:
    def __init__(self, capacity: int = 1024) -> None:
        self._data = {name: np.empty(max(1, capacity), np.float64) for name in COLUMNS}
        self._size = 0
        # grad columns in order of first appearance; their unfilled tail is always NaN, so a
        # record without a layer's key costs nothing
        self._layer_columns: list[str] = []
        self._ema: dict[str, tuple] = {}  # name -> (smoothing, points done, last, weight, out)
        self.revision = (
            0  # counts changes: a view that drew revision N is up to date while it lasts
        )

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self.revision += 1
        self._size = 0
        self._ema.clear()
        for name in self._layer_columns:
            del self._data[name]
        self._layer_columns.clear()

    def append(self, record: ScalarSnapshot | Mapping[str, float]) -> None:
        if isinstance(record, ScalarSnapshot):
            values = record.__dict__
            grads = {GRAD_PREFIX + k: v for k, v in record.layer_grad_norms.items()}
        else:
            values = grads = record  # the grad keys are picked out below
        data, row = self._data, self._size
        capacity = len(data["step"])
        if row == capacity:
            for name in COLUMNS:
                data[name] = np.resize(data[name], 2 * capacity)
            for name in self._layer_columns:
                data[name] = _nan_grown(data[name], 2 * capacity)
            capacity *= 2
        for name in COLUMNS:
            data[name][row] = values.get(name, np.nan)
        for name, value in grads.items():  # a record's own keys, not every column
            if not name.startswith(GRAD_PREFIX):
                continue
            column = data.get(name)
            if column is None:  # a layer seen for the first time: NaN for the rows before
                column = data[name] = np.full(capacity, np.nan)
                self._layer_columns.append(name)
            column[row] = np.nan if value is None else value
        self._size += 1
        self.revision += 1

    def extend(self, records: Iterable[ScalarSnapshot | Mapping[str, float]]) -> None:
        for record in records:
            self.append(record)

    def layer_columns(self, network: str) -> list[str]:
        """The gradient-norm columns of one network ("g" or "d"), e.g. ["grad.g.convT1", ...],
        in order of first appearance: the network's layer order."""
        start = f"{GRAD_PREFIX}{network}."
        return [name for name in self._layer_columns if name.startswith(start)]

    def column(self, name: str) -> np.ndarray:
        """A read-only view of the filled part of one column (fixed or per-layer)."""
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
        names = COLUMNS + tuple(self._layer_columns)
        writer.writerow(names)
        for i in range(self._size):
            writer.writerow(
                [
                    int(self._data[n][i])
                    if n in ("step", "epoch")
                    else repr(float(self._data[n][i]))
                    for n in names
                ]
            )
        return buffer.getvalue()

    def save_csv(self, path: Path) -> None:
        durable_write_text(Path(path), self.to_csv())


def _nan_grown(column: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.full(capacity, np.nan)
    grown[: len(column)] = column
    return grown
