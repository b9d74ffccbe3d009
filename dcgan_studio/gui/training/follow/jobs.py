"""Following a run off the GUI thread: a ``core.follow.RunFollower`` polled on the
``dcgan-follow`` worker whenever a file watcher says the folder changed, and every
``POLL_MS`` regardless (a watcher misses changes on network and synced folders, and cannot see
that a writer died).

One run is followed at a time; a poll under way when following stops or moves to another run
is answered into the void (a token guards every answer).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer

from dcgan_studio.core.follow import RunFollower, RunNews
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.gui.workers import Worker

POLL_MS = 2000  # the fallback: what lands shows within this long where no watcher tells
SOON_MS = 250  # after a watcher's signal: a burst of appends is read at once


def watched_paths(run: RunDirectory) -> list[str]:
    """The folders and files of a run whose changes a watcher reports (those there now)."""
    paths = [run.root, run.samples_dir, run.checkpoints_dir]
    paths += [run.metrics_path, run.quality_path, run.alerts_path, run.config_path]
    paths.append(run.root / "writer.json")
    return [str(p) for p in paths if p.exists()]


class FollowJobs(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker = Worker("dcgan-follow", self)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_watcher_changed)
        self._watcher.directoryChanged.connect(self._on_watcher_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.poll)
        self._follower: RunFollower | None = None
        self._token = 0
        self._polling = False  # a poll is on the worker: the next waits for it
        self._again = False  # something changed meanwhile: poll once it is back
        self._on_news: Callable[[RunNews], None] | None = None
        self._on_error: Callable[[Exception], None] | None = None
        self.polls = 0  # answered polls of the followed run (tests wait on it)

    @property
    def following(self) -> bool:
        return self._token > 0 and self._on_news is not None

    def start(
        self,
        folder: Path,
        on_first: Callable[[RunDirectory, RunNews], None],
        on_news: Callable[[RunNews], None],
        on_error: Callable[[Exception], None],
        on_refused: Callable[[Exception], None],
    ) -> None:
        """Follow the run in ``folder``: ``on_first(run, news)`` with everything it holds (or
        ``on_refused(error)`` when it is not a run, and nothing is followed), then
        ``on_news(news)`` after each poll; ``on_error`` for a poll that failed (following goes
        on)."""
        self.stop()
        token = self._token
        self._on_news, self._on_error = on_news, on_error

        def first() -> tuple[RunFollower, RunNews, list[str]]:
            follower = RunFollower.open(folder)
            return follower, follower.poll(), watched_paths(follower.run)

        def done(result: tuple[RunFollower, RunNews, list[str]]) -> None:
            if token != self._token:
                return
            self._follower, news, paths = result
            self._watch(paths)
            self._timer.start()
            self.polls += 1
            on_first(self._follower.run, news)

        def failed(error: Exception) -> None:
            if token == self._token:
                self._on_news, self._on_error = None, None
                on_refused(error)

        self._worker.submit(first, done, on_error=failed, every_answer=True)

    def stop(self) -> None:
        """Follow nothing: the watcher, the timer and any answer on its way are let go."""
        self._token += 1
        self._follower, self._on_news, self._on_error = None, None, None
        self._timer.stop()
        self._soon.stop()
        self._polling = self._again = False
        watched = self._watcher.files() + self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)

    def poll(self) -> None:
        """Look for news now (a poll under way is waited for, then one more is made)."""
        follower = self._follower
        if follower is None:
            return
        if self._polling:
            self._again = True
            return
        self._polling = True
        token = self._token

        def work() -> tuple[RunNews, list[str]]:
            return follower.poll(), watched_paths(follower.run)

        def done(result: tuple[RunNews, list[str]]) -> None:
            if token != self._token:
                return
            news, paths = result
            self._watch(paths)
            self.polls += 1
            self._on_news(news)

        def failed(error: Exception) -> None:
            if token == self._token and self._on_error is not None:
                self._on_error(error)

        def finished() -> None:
            if token != self._token:
                return
            self._polling = False
            if self._again:
                self._again = False
                self._soon.start()

        # every answer: the follower moved its read positions past what it returns
        self._worker.submit(
            work, done, on_error=failed, on_finished=finished, every_answer=True, trim_memory=False
        )

    def _on_watcher_changed(self, _path: str) -> None:
        if not self._soon.isActive():
            self._soon.start()

    def _watch(self, paths: list[str]) -> None:
        """Watch what is there now: a file replaced by a rename drops out of the watcher, and
        files appear after the folder (quality.jsonl, alerts.jsonl, writer.json)."""
        missing = set(paths) - set(self._watcher.files()) - set(self._watcher.directories())
        if missing:
            self._watcher.addPaths(sorted(missing))

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop()
        self._worker.shutdown(timeout)
