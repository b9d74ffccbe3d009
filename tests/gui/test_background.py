"""Python's cyclic garbage is collected on the GUI thread only, whichever thread made it."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from dcgan_studio.gui import background


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


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _growth_after_a_fragmenting_job(qtbot) -> float:
    """MB the process keeps after a background job that made 192 MB of 64 KB blocks on its
    thread and kept every 16th (12 MB), as decoding a dataset for a preview does."""
    results: list = []

    def fragmenting_job() -> list[bytes]:
        blocks = [b"\x01" * (64 * 1024) for _ in range(3000)]
        return blocks[::16]

    owner = QObject()  # the emitter's parent, as a widget is for the window's jobs
    before = _resident_mb()
    background.run_in_background(
        owner, fragmenting_job, lambda result, error: results.append((result, error))
    )
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert results[0][1] is None and len(results[0][0]) == 188
    qtbot.waitUntil(
        lambda: (
            not any(
                thread.name == "dcgan-io"  # it trims after delivering
                for thread in threading.enumerate()
            )
        ),
        timeout=20000,
    )
    return _resident_mb() - before


@pytest.mark.skipif(background._malloc_trim is None, reason="needs glibc's malloc_trim")
def test_a_background_job_gives_back_the_memory_it_freed(qtbot, monkeypatch):
    assert _growth_after_a_fragmenting_job(qtbot) < 50  # the 12 MB kept, and change
    monkeypatch.setattr(background, "_malloc_trim", None)  # as before: freed, still resident
    assert _growth_after_a_fragmenting_job(qtbot) > 100
    monkeypatch.undo()
    assert background.return_freed_memory()
