"""The one worker mechanism: jobs in order off the GUI thread, latest wins per key, stale answers
dropped, errors then finished, a generator's values on the GUI thread, and a clean shutdown."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from dcgan_studio.errors import StudioError
from dcgan_studio.gui import workers
from dcgan_studio.gui.workers import Worker

WAIT = 10_000


@pytest.fixture
def worker(qtbot):
    owner = QObject()
    made = Worker("dcgan-test", owner)
    yield made
    assert made.shutdown(10)


def test_a_job_runs_on_the_worker_thread_and_answers_on_the_gui_thread(qtbot, worker):
    ran_on, answered_on, results = [], [], []

    def job():
        ran_on.append(threading.current_thread().name)
        return 42

    def done(result):
        answered_on.append(threading.current_thread())
        results.append(result)

    worker.submit(job, done)
    qtbot.waitUntil(lambda: results == [42], timeout=WAIT)
    assert ran_on == ["dcgan-test"] and answered_on == [threading.main_thread()]


def test_jobs_without_a_key_each_keep_their_own_answer(qtbot, worker):
    got = []
    worker.submit(lambda: "first", lambda r: got.append(("a", r)))
    worker.submit(lambda: "second", lambda r: got.append(("b", r)))
    qtbot.waitUntil(lambda: len(got) == 2, timeout=WAIT)
    assert got == [("a", "first"), ("b", "second")]  # in order, each its own


def test_the_newest_waiting_job_of_a_key_replaces_the_older_and_stale_answers_are_dropped(
    qtbot, worker
):
    gate, order, answers = threading.Event(), [], []
    worker.submit(lambda: gate.wait(WAIT / 1000) and order.append("blocker"), key="other")
    for n in range(5):  # dragged faster than the worker can go: only the last one runs
        worker.submit(lambda n=n: order.append(n) or n, answers.append, key="slider")
    assert worker.replaced == 4
    gate.set()
    qtbot.waitUntil(lambda: not worker.busy, timeout=WAIT)
    qtbot.waitUntil(lambda: answers == [4], timeout=WAIT)
    assert order == ["blocker", 4]


def test_an_answer_on_its_way_is_dropped_when_a_newer_job_of_its_key_comes(qtbot, worker):
    started, release, answers, finished = threading.Event(), threading.Event(), [], []

    def slow():
        started.set()
        release.wait(WAIT / 1000)
        return "old"

    worker.submit(slow, answers.append, key="read", on_finished=lambda: finished.append(1))
    assert started.wait(WAIT / 1000)
    worker.submit(lambda: "new", answers.append, key="read", on_finished=lambda: finished.append(2))
    release.set()
    qtbot.waitUntil(lambda: finished == [1, 2], timeout=WAIT)
    assert answers == ["new"]  # "old" finished, but nobody wants it any more


def test_every_answer_jobs_deliver_even_when_overtaken(qtbot, worker):
    """Renders: each finished image is shown, a newer one replaces it on screen anyway."""
    started, release, answers = threading.Event(), threading.Event(), []

    def first():
        started.set()
        release.wait(WAIT / 1000)
        return "first"

    worker.submit(first, answers.append, key="render", every_answer=True)
    assert started.wait(WAIT / 1000)
    worker.submit(lambda: "second", answers.append, key="render", every_answer=True)
    release.set()
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=WAIT)
    assert answers == ["first", "second"]


def test_a_failure_is_reported_then_finished_and_the_worker_goes_on(qtbot, worker, caplog):
    events = []

    def bug():
        raise ZeroDivisionError("boom")

    def mistake():
        raise StudioError("a person's mistake")

    for fn in (bug, mistake):
        worker.submit(
            fn,
            lambda r: events.append(("done", r)),
            on_error=lambda exc: events.append(("error", str(exc))),
            on_finished=lambda: events.append(("finished",)),
        )
    worker.submit(lambda: "still here", lambda r: events.append(("done", r)))
    qtbot.waitUntil(lambda: len(events) == 5, timeout=WAIT)
    assert events == [
        ("error", "boom"),
        ("finished",),
        ("error", "a person's mistake"),
        ("finished",),
        ("done", "still here"),
    ]
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "ZeroDivisionError" in logged[0].exc_text  # a bug, not a mistake


def test_a_generator_job_hands_each_value_to_the_gui_thread_then_its_result(qtbot, worker):
    seen = []

    def stream():
        yield from range(3)
        return "end"

    worker.submit(
        stream,
        lambda r: seen.append(("done", r)),
        on_yield=lambda v: seen.append((threading.current_thread() is threading.main_thread(), v)),
    )
    qtbot.waitUntil(lambda: len(seen) == 4, timeout=WAIT)
    assert seen == [(True, 0), (True, 1), (True, 2), ("done", "end")]


def test_an_idle_worker_has_no_thread_and_starts_one_on_demand(qtbot, worker):
    def alive():
        return [t for t in threading.enumerate() if t.name == "dcgan-test"]

    results = []
    worker.submit(lambda: 1, results.append)
    qtbot.waitUntil(lambda: results == [1] and not alive(), timeout=WAIT)
    worker.submit(lambda: 2, results.append)
    qtbot.waitUntil(lambda: results == [1, 2] and not alive(), timeout=WAIT)


def test_shutdown_drops_what_has_not_started_and_waits_for_the_job_under_way(qtbot):
    worker = Worker("dcgan-test-shutdown", QObject())
    started, ran = threading.Event(), []

    def slow():
        started.set()
        threading.Event().wait(0.3)
        ran.append("slow")

    worker.submit(slow)
    worker.submit(lambda: ran.append("never"))
    assert started.wait(WAIT / 1000)
    assert worker.shutdown(10)
    assert ran == ["slow"]
    with pytest.raises(RuntimeError, match="has shut down"):
        worker.submit(lambda: ran.append("after"))  # a stopped worker takes nothing more
    assert not worker.busy and ran == ["slow"]


def test_after_shutdown_only_finished_is_delivered(qtbot):
    owner = QObject()  # the relay's parent, kept alive as a window keeps its parts
    worker = Worker("dcgan-test-late", owner)
    started, release, got = threading.Event(), threading.Event(), []

    def job():
        started.set()
        release.wait(10)
        return "late"

    worker.submit(job, got.append, on_finished=lambda: got.append("finished"))
    assert started.wait(10)
    release.set()
    assert worker.shutdown(10)  # the answer is on its way to the GUI thread, not yet delivered
    qtbot.wait(100)
    assert got == ["finished"]


def test_a_job_that_raises_system_exit_does_not_wedge_the_worker(qtbot, worker, monkeypatch):
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the thread's own report
    got = []

    def leaves():
        raise SystemExit(3)

    worker.submit(leaves, got.append, on_finished=lambda: got.append("finished"))
    qtbot.waitUntil(lambda: got == ["finished"], timeout=WAIT)
    worker.submit(lambda: "next", got.append)  # a new thread takes it
    qtbot.waitUntil(lambda: got == ["finished", "next"], timeout=WAIT)


def test_an_answer_that_outlives_its_owner_ends_quietly(qtbot, monkeypatch):
    from shiboken6 import isValid

    owner, release, failures = QObject(), threading.Event(), []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    worker = Worker("dcgan-test-orphan", owner)
    worker.submit(lambda: release.wait(10) and "late", lambda r: None)
    owner.deleteLater()  # the window closes while the read is still going
    qtbot.waitUntil(lambda: not isValid(owner), timeout=5_000)
    release.set()
    assert worker.shutdown(10)
    assert failures == []


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _growth_after_a_fragmenting_job(qtbot, worker) -> float:
    """MB the process keeps after a job that made 192 MB of 64 KB blocks on the worker's thread
    and kept every 16th (12 MB), as decoding a dataset for a preview does."""
    results = []

    def fragmenting_job() -> list[bytes]:
        blocks = [b"\x01" * (64 * 1024) for _ in range(3000)]
        return blocks[::16]

    before = _resident_mb()
    worker.submit(fragmenting_job, results.append)
    qtbot.waitUntil(lambda: bool(results) and not worker.busy, timeout=20_000)
    qtbot.waitUntil(
        lambda: not [t for t in threading.enumerate() if t.name == "dcgan-test"], timeout=20_000
    )  # it trims before its thread ends
    assert len(results[0]) == 188
    return _resident_mb() - before


@pytest.mark.skipif(workers._malloc_trim is None, reason="needs glibc's malloc_trim")
def test_a_job_gives_back_the_memory_it_freed(qtbot, worker, monkeypatch):
    assert _growth_after_a_fragmenting_job(qtbot, worker) < 50  # the 12 MB kept, and change
    monkeypatch.setattr(workers, "_malloc_trim", None)  # as before: freed, still resident
    assert _growth_after_a_fragmenting_job(qtbot, worker) > 100
    monkeypatch.undo()
    assert workers.return_freed_memory()
