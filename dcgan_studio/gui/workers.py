"""The one way work leaves the GUI thread: a ``Worker`` runs jobs on a named thread of its own.

Every workspace configures its workers in its ``jobs`` module (the training session, the latent
renderer, the 1-D GAN, data previews, checkpoint reads); views never start threads. A worker:

- runs its jobs one at a time, in the order they were submitted;
- keeps, for each ``key``, only the newest job not yet started (latest wins: a slider dragged
  faster than G renders skips the positions it had no time for);
- delivers a job's answers on the GUI thread, and drops those of a job that a newer one of the
  same key has replaced since (the generation guard), unless the job asks for every answer;
- reports a failure through ``on_error`` (the traceback of a bug goes to the log), then always
  ``on_finished``;
- lets a job be a generator: each value it yields reaches ``on_yield`` on the GUI thread (a
  training session's rare events; its stream of snapshots goes through a buffer instead);
- starts its thread on demand and lets it end when the queue is empty, so an idle window has no
  thread to wake; ``shutdown`` drops what has not started and waits for the job under way.

Qt is used only to hand answers to the GUI thread (a queued signal to an object that lives there);
nothing here imports torch, so the window's first frame can use it before the core is loaded.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from dcgan_studio.errors import StudioError

log = logging.getLogger("dcgan_studio")
Callback = Callable[..., None] | None


@dataclass
class Job:
    """One piece of work and where its answers go (every callback runs on the GUI thread)."""

    fn: Callable[[], Any]
    key: str | None = None
    on_done: Callback = None  # (result)
    on_error: Callback = None  # (exception)
    on_yield: Callback = None  # (value) for each value a generator job yields
    on_finished: Callback = None  # () after the rest, for every job that ran, stale or not
    every_answer: bool = False  # deliver answers even when a newer job of the key came since
    trim_memory: bool = True  # give freed memory back to the system afterwards
    generation: int = field(default=0, compare=False)


class _Relay(QObject):
    """Lives on the GUI thread: what the worker thread emits runs there, in order."""

    delivered = Signal(object)

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self.delivered.connect(self._run)

    @Slot(object)
    def _run(self, thunk: Callable[[], None]) -> None:
        thunk()


class Worker:
    """Jobs in order on one thread named ``name`` (see the module's description)."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        self.name = name
        self._relay = _Relay(parent)  # made here, on the GUI thread
        self._cond = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._generations: dict[str, int] = collections.defaultdict(int)
        self._thread: threading.Thread | None = None
        self._current: Job | None = None
        self._stopping = False
        self.replaced = 0  # jobs replaced by a newer one of their key before they started

    # ---- from the GUI thread ------------------------------------------------------------------
    def submit(self, fn: Callable[[], Any], on_done: Callback = None, **options) -> Job:
        """Queue ``fn`` (options: the fields of ``Job``); a job of the same key that has not
        started yet is replaced by this one, in its place in the queue."""
        job = Job(fn, on_done=on_done, **options)
        with self._cond:
            if self._stopping:
                raise RuntimeError(f"{self.name} has shut down: it takes no more jobs")
            if job.key is not None:
                self._generations[job.key] += 1
                job.generation = self._generations[job.key]
                for index, waiting in enumerate(self._queue):
                    if waiting.key == job.key:
                        self._queue[index] = job
                        self.replaced += 1
                        break
                else:
                    self._queue.append(job)
            else:
                self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._cond.notify()
        return job

    def cancel(self, key: str) -> None:
        """Forget the job of ``key`` that has not started, and the answers of the one under way
        (it runs to its end: a job that can stop early checks its own cancel flag)."""
        with self._cond:
            self._generations[key] += 1
            self._queue = collections.deque(job for job in self._queue if job.key != key)

    def is_current(self, job: Job) -> bool:
        """No newer job of ``job``'s key was submitted (always True for a job without a key)."""
        return job.key is None or job.generation == self._generations[job.key]

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._current is not None or bool(self._queue)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Drop the jobs not started, wait up to ``timeout`` s for the one under way (0: not at
        all; it ends on its own); True when the thread has ended. From now on only
        ``on_finished`` is delivered."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            thread = self._thread
            self._cond.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # ---- the worker thread --------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            while True:
                with self._cond:
                    if self._stopping or not self._queue:
                        self._thread = None  # at once: a submit from now on starts a new one
                        return
                    job = self._current = self._queue.popleft()
                self._run(job)
                if job.trim_memory:
                    return_freed_memory()  # what the job freed stays resident otherwise
        finally:  # also when a job raised SystemExit: the next submit starts a new thread
            with self._cond:
                self._current = None
                if self._thread is threading.current_thread():
                    self._thread = None

    def _run(self, job: Job) -> None:
        try:
            result = job.fn()
            if inspect.isgenerator(result):
                result = self._drain(job, result)
        except Exception as exc:  # delivered to on_error, which tells the person
            if not isinstance(exc, StudioError):
                log.exception("%s: a job failed", self.name)
            self._deliver(job, job.on_error, exc)
        else:
            self._deliver(job, job.on_done, result)
        finally:
            self._deliver(job, job.on_finished, always=True)

    def _drain(self, job: Job, generator) -> Any:
        """Run a generator job, handing each value to ``on_yield``; its return value is the
        job's result. It is never cut short: a long job ends itself (the engine on its stop
        command, saving a checkpoint first)."""
        while True:
            try:
                value = next(generator)
            except StopIteration as stop:
                return stop.value
            self._deliver(job, job.on_yield, value)

    def _deliver(self, job: Job, callback: Callback, *args, always: bool = False) -> None:
        if callback is None or (self._stopping and not always):
            return

        def thunk() -> None:  # on the GUI thread: the guards as they stand now
            if always or (not self._stopping and (job.every_answer or self.is_current(job))):
                callback(*args)

        try:
            self._relay.delivered.emit(thunk)
        except RuntimeError:  # the window closed meanwhile and took the relay with it
            pass


# ---- memory ------------------------------------------------------------------------------------
def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc's; musl, macOS and Windows have none
    except (AttributeError, OSError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _find_malloc_trim()


def return_freed_memory() -> bool:
    """Give the pages this process has freed back to the system; True if it could.

    glibc keeps what a thread frees in that thread's arena, and a page stays resident while any
    live block sits on it: a data preview decodes a whole dataset on a worker thread and would
    leave the process that much larger. Costs milliseconds: after a job, never per step."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True


class _GuiThreadCollector(QObject):
    """Python's cyclic garbage collector, run from a timer on the GUI thread only.

    Python collects in whichever thread allocates past its threshold, often the training thread;
    a cycle that holds a Qt object (a widget and a lambda connected to its signal) would then die
    there, and a QWidget destroyed off its thread deadlocks in shiboken. The automatic collector
    is turned off and this one collects each generation, as Python would, at most every
    ``interval_ms``.
    """

    def __init__(self, interval_ms: int) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> None:
        """One collection of the oldest generation that is due (it takes the younger along)."""
        counts, due = gc.get_count(), -1
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            due = generation
        if due >= 0:
            gc.collect(due)


_collector: _GuiThreadCollector | None = None


def collect_garbage_on_gui_thread(interval_ms: int = 1000) -> None:
    """From now on Python's cyclic garbage is collected on this (the GUI) thread only; once per
    process, on the GUI thread, before any worker starts."""
    global _collector
    if _collector is None:
        _collector = _GuiThreadCollector(interval_ms)
