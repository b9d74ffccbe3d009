"""Regression guard: PySide6 6.12.0 on Python 3.11 loses a reference to True on every
Signal.emit(), and the process aborts with ``Fatal Python error: bool_dealloc`` once streaming
starts. pyproject pins PySide6-Essentials below 6.12; this test must pass before that pin moves."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag_changed = Signal(bool)
    value_changed = Signal(object)
    ticked = Signal()


def test_emitting_10000_signals_keeps_refcounts_of_true_and_none(qapp):
    emitter = _Emitter()
    received = []
    emitter.flag_changed.connect(received.append)
    emitter.value_changed.connect(received.append)
    emitter.ticked.connect(lambda: received.append(None))
    for _ in range(50):  # warm up caches that take references once
        emitter.flag_changed.emit(True)
    received.clear()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(10_000):
        emitter.flag_changed.emit(True)
        emitter.value_changed.emit(None)
        emitter.ticked.emit()
    assert len(received) == 30_000
    received.clear()
    # a leak or over-release of one reference per emit would move these by 10,000
    assert abs(sys.getrefcount(True) - true_before) < 50
    assert abs(sys.getrefcount(None) - none_before) < 50
