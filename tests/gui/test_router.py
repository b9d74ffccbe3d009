"""The snapshot router, without Qt: each kind to the views that want it, the newest kept."""

from __future__ import annotations

import numpy as np

from dcgan_studio.core.snapshots import RealBatchSnapshot, SampleGridSnapshot, StatusSnapshot
from dcgan_studio.gui.router import SnapshotRouter


def _grid(step: int) -> SampleGridSnapshot:
    return SampleGridSnapshot(step, np.zeros((4, 8, 8, 1), np.uint8), None, None)


def test_each_kind_goes_to_its_handlers_in_order_and_no_other():
    router, got = SnapshotRouter(), []
    router.connect(SampleGridSnapshot, lambda s: got.append(("first", s.step)))
    router.connect(SampleGridSnapshot, lambda s: got.append(("second", s.step)))
    router.connect(StatusSnapshot, lambda s: got.append(("status", s.state)))
    router.route({SampleGridSnapshot: _grid(5)})
    assert got == [("first", 5), ("second", 5)]


def test_the_newest_of_each_kind_is_remembered_until_another_run_is_shown():
    router = SnapshotRouter()
    assert router.last(SampleGridSnapshot) is None
    router.route({SampleGridSnapshot: _grid(5)})
    router.route({SampleGridSnapshot: _grid(9)})
    real = RealBatchSnapshot(9, np.zeros((2, 8, 8, 1), np.uint8), np.zeros(2))
    router.route({RealBatchSnapshot: real})
    assert router.last(SampleGridSnapshot).step == 9  # kinds that did not come keep theirs
    assert router.last(RealBatchSnapshot) is real
    router.forget()  # another run is shown
    assert router.last(SampleGridSnapshot) is None and router.last(RealBatchSnapshot) is None
