"""Python's cyclic garbage is collected on the GUI thread only, whichever thread made it."""

from __future__ import annotations

import gc
import threading
import weakref

from dcgan_studio.gui import workers as background


class _Cycle:
    """A reference cycle, as a widget and a lambda connected to its signal make."""

    finalised_on: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.finalised_on.append(threading.current_thread().name)


def test_a_worker_threads_cycles_are_collected_on_the_gui_thread(qtbot):
    background.collect_garbage_on_gui_thread()  # what every window does (idempotent)
    assert not gc.isenabled() and background._collector.timer.isActive()
    gc.collect()
    _Cycle.finalised_on.clear()
    alive: list[weakref.ref] = []
    kept: list[list] = []

    def work() -> None:  # a training thread: makes a garbage cycle, then allocates a lot
        alive.append(weakref.ref(_Cycle()))
        kept.extend([i] for i in range(5 * gc.get_threshold()[0]))  # far past the threshold

    worker = threading.Thread(target=work, name="dcgan-training-test")
    worker.start()
    worker.join()
    assert alive[0]() is not None  # Python's own collector would have run on the worker
    assert _Cycle.finalised_on == []
    qtbot.waitUntil(lambda: gc.get_count()[0] < gc.get_threshold()[0], timeout=5_000)  # timer
    gc.collect()  # what a later generation's turn does, here on the GUI thread
    assert _Cycle.finalised_on == [threading.main_thread().name]
    assert alive[0]() is None
