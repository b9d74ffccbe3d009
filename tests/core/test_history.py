"""LossHistory: fixed columns, per-layer gradient-norm columns that appear mid-run, CSV, clear."""

from __future__ import annotations

import csv
import io
import json
import math
from types import MappingProxyType

import numpy as np
import pytest

from dcgan_studio.core.history import COLUMNS, LossHistory
from dcgan_studio.core.snapshots import GRAD_PREFIX, ScalarSnapshot


def _snapshot(step: int, norms: dict[str, float]) -> ScalarSnapshot:
    return ScalarSnapshot(
        step=step,
        epoch=0,
        epoch_progress=0.5,
        loss_d=1.0 + step,
        loss_g=2.0,
        d_x=0.6,
        d_g_z1=0.4,
        d_g_z2=0.45,
        grad_norm_d=3.0,
        grad_norm_g=4.0,
        lr_d=2e-4,
        lr_g=2e-4,
        images_per_second=100.0,
        elapsed_seconds=float(step),
        layer_grad_norms=MappingProxyType(norms),
    )


def test_fixed_columns_are_appended_and_missing_ones_are_nan():
    history = LossHistory(capacity=2)
    for step in range(1, 6):  # past the capacity twice
        history.append({"step": step, "loss_d": step / 10})
    assert len(history) == 5
    assert history.column("step").tolist() == [1, 2, 3, 4, 5]
    assert history.column("loss_d").tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])
    assert np.isnan(history.column("loss_g")).all()
    assert not history.column("step").flags.writeable


def test_a_layer_column_appears_mid_history_with_nan_before():
    history = LossHistory(capacity=2)
    history.append({"step": 1, "loss_d": 1.0})
    history.append({"step": 2, "loss_d": 1.0})
    history.append(_snapshot(3, {"g.convT1": 0.5, "d.conv1": 0.25}))  # also grows the storage
    history.append({"step": 4, "grad.g.convT1": 0.125, "grad.g.bn1": 2.0})
    history.append({"step": 5})  # no norms this time: NaN, not a stale value
    g = history.column("grad.g.convT1")
    assert np.isnan(g[:2]).all() and g[2:4].tolist() == [0.5, 0.125] and np.isnan(g[4])
    bn = history.column("grad.g.bn1")
    assert np.isnan(bn[[0, 1, 2, 4]]).all() and bn[3] == 2.0
    d = history.column("grad.d.conv1")
    assert d[2] == 0.25 and np.isnan(np.delete(d, 2)).all()
    assert len(g) == len(bn) == len(d) == len(history) == 5


def test_layer_columns_keep_the_order_of_first_appearance_per_network():
    history = LossHistory()
    history.append(_snapshot(1, {"g.convT1": 1.0, "g.bn1": 1.0, "d.conv1": 1.0, "g.convT2": 1.0}))
    history.append(_snapshot(2, {"d.conv2": 1.0, "d.bn2": 1.0, "g.convT1": 1.0}))
    assert history.layer_columns("g") == ["grad.g.convT1", "grad.g.bn1", "grad.g.convT2"]
    assert history.layer_columns("d") == ["grad.d.conv1", "grad.d.conv2", "grad.d.bn2"]
    assert all(name.startswith(GRAD_PREFIX) for name in history.layer_columns("g"))


def test_records_read_back_from_metrics_jsonl_give_the_same_columns():
    snap = _snapshot(7, {"g.convT1": 0.5, "d.conv1": float("nan")})
    record = json.loads(json.dumps(snap.to_dict()))  # NaN survives Python's json
    history = LossHistory()
    history.append(record)
    assert history.column("grad.g.convT1").tolist() == [0.5]
    assert math.isnan(history.column("grad.d.conv1")[0])
    assert history.column("loss_d").tolist() == [8.0]


def test_csv_has_fixed_columns_then_layer_columns_in_order_of_appearance():
    history = LossHistory()
    history.append(_snapshot(1, {"g.convT1": 0.5}))
    history.append(_snapshot(2, {"g.convT1": 0.25, "d.conv1": 1.5}))
    rows = list(csv.reader(io.StringIO(history.to_csv())))
    assert rows[0] == [*COLUMNS, "grad.g.convT1", "grad.d.conv1"]
    assert len(rows) == 3
    first, second = (dict(zip(rows[0], row)) for row in rows[1:])
    assert first["step"] == "1" and float(first["grad.g.convT1"]) == 0.5
    assert math.isnan(float(first["grad.d.conv1"]))
    assert float(second["grad.d.conv1"]) == 1.5 and float(second["loss_d"]) == 3.0


def test_clear_forgets_rows_and_layer_columns():
    history = LossHistory(capacity=1)
    for step in range(1, 4):
        history.append(_snapshot(step, {"g.convT1": 9.0, "d.conv1": 9.0}))
    history.ema("grad.g.convT1", 0.5)
    history.clear()
    assert len(history) == 0
    assert history.layer_columns("g") == [] and history.layer_columns("d") == []
    with pytest.raises(KeyError):
        history.column("grad.g.convT1")
    assert history.to_csv().splitlines() == [",".join(COLUMNS)]
    history.append({"step": 10})
    history.append({"step": 11, "grad.d.conv2": 0.5})  # a new run, other layers
    assert history.layer_columns("d") == ["grad.d.conv2"]
    assert np.isnan(history.column("grad.d.conv2")[0])  # the old 9.0 is not back
    assert history.column("grad.d.conv2")[1] == 0.5


def test_ema_works_on_a_layer_column():
    history = LossHistory()
    history.extend(_snapshot(step, {"g.convT1": 1.0}) for step in range(1, 5))
    assert history.ema("grad.g.convT1", 0.9).tolist() == pytest.approx([1.0] * 4)


def test_a_long_history_with_layer_columns_grows_linearly():
    history = LossHistory()
    norms = {f"g.convT{i}": 1.0 for i in range(1, 6)}
    record = _snapshot(0, norms).to_dict()
    for step in range(100_000):
        record["step"] = step
        history.append(record)
    assert len(history) == 100_000
    assert history.column("grad.g.convT5")[-1] == 1.0
    # amortised doubling: capacity stays within 2x the rows
    assert len(history._data["grad.g.convT5"]) < 2 * 100_000 + 2


def test_the_revision_counts_every_change_so_views_know_when_they_are_stale():
    history = LossHistory()
    seen = {history.revision}
    history.append({"step": 1, "loss_d": 1.0})
    seen.add(history.revision)
    history.extend([{"step": 2}, {"step": 3}])
    seen.add(history.revision)
    history.column("step")  # reading changes nothing
    assert history.revision in seen and len(seen) == 3
    before = history.revision
    history.clear()
    assert history.revision != before and len(history) == 0
