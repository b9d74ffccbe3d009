"""Following a run that another process writes: what is new in its folder since the last look,
and who writes it.

A ``RunFollower`` is asked again and again (by a file watcher, or a timer where watchers miss
changes: network and synced folders); each ``poll()`` returns a ``RunNews`` of what landed since
the one before:

- the whole new lines of metrics.jsonl, quality.jsonl and alerts.jsonl; a last line without its
  newline is being written (or synced) and waits for the next poll, so nothing is shown broken.
  A file written again whole (a resume cuts the metrics back to its checkpoint) is read again
  from its start, and the news says the old lines are replaced;
- the steps of the sample grids that appeared (a grid is written under a hidden name and renamed
  into place, so one that is there is whole);
- the checkpoints that appeared, each counted once all its files are there and the generator's
  file is as long as its header says (a checkpoint is renamed into place whole; a synced folder
  may still be bringing its files over);
- who writes the run and how it stands (``WriterStatus``), from RUN/writer.json, the run's lock,
  and how long nothing has landed.

Only reads: a follower never writes into the run, and never takes its lock.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcgan_studio.config import RunConfig, parse_json
from dcgan_studio.core.checkpoint_files import (
    DISCRIMINATOR_FILE,
    GENERATOR_FILE,
    STATE_FILE,
    _safetensors_size,
)
from dcgan_studio.core.runs import RunDirectory, _is_metrics_record
from dcgan_studio.errors import CheckpointError, RunDirectoryError

ENDED = ("finished", "stopped", "failed")  # writer.json's states of a writer that is done
QUIET_FLOOR_S = 120.0  # a writer on another machine seems stopped after at least this long...
QUIET_LINES = 10  # ...or this many of its usual gaps between two metrics lines, if longer
_CHECK_TAIL = 64  # bytes before a file's read position compared on each poll (a rewrite)


@dataclass(frozen=True)
class WriterStatus:
    """Who writes the run, and whether they still do, in words for the banner."""

    state: str  # training | paused | finished | stopped | failed | gone | quiet | unknown
    who: str  # "dcgan-studio train (process 123 on gpu-box)", or "another process"
    headline: str  # one line: "dcgan-studio train (process 123 on gpu-box) is training"
    detail: str = ""  # a second line: batch, processes, when it last wrote
    step: int | None = None
    batch: int | None = None  # images per iteration over all its processes (writer.json's)

    @property
    def live(self) -> bool:
        """New files are expected (the writer trains, or is paused)."""
        return self.state in ("training", "paused", "unknown")


@dataclass(frozen=True)
class RunNews:
    """What landed in a followed run since the last poll."""

    metrics: tuple[dict[str, Any], ...] = ()
    metrics_replaced: bool = False  # the lines before are gone: ``metrics`` is the whole file
    quality: tuple[dict[str, Any], ...] = ()
    quality_replaced: bool = False
    alerts: tuple[dict[str, Any], ...] = ()
    sample_steps: tuple[int, ...] = ()  # every saved grid there now, oldest first
    new_sample_steps: tuple[int, ...] = ()  # those that were not there at the last poll
    checkpoint_steps: tuple[int, ...] = ()  # every whole checkpoint there now, oldest first
    new_checkpoint: int | None = None  # the newest checkpoint, when it is new since last time
    config: RunConfig | None = None  # the run's config when it changed (a resume may extend it)
    writer: WriterStatus | None = None
    resumed: bool = False  # new lines landed after the writer had stopped: it continues

    @property
    def landed(self) -> bool:
        """Anything new to show."""
        return bool(
            self.metrics
            or self.metrics_replaced
            or self.quality
            or self.quality_replaced
            or self.alerts
            or self.new_sample_steps
            or self.new_checkpoint is not None
        )


class JsonlTail:
    """The whole new lines of one .jsonl file since the last ``read()``.

    The read position stays after the last newline; a file that was replaced (another inode),
    shrank, or whose bytes before the read position changed is read again from its start."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._offset = 0
        self._identity: tuple[int, int] | None = None
        self._tail = b""  # the last bytes before _offset, to notice a rewrite in place

    def read(self) -> tuple[list[dict[str, Any]], bool]:
        """(the new records, whether the ones read before are replaced)."""
        try:
            f = open(self.path, "rb")  # noqa: SIM115 (closed below, after fstat)
        except FileNotFoundError:  # not yet, or for a moment (a synced folder's hiccup): what
            return [], False  # was read stays; a file that comes back is compared as it is
        with f:
            stat = os.fstat(f.fileno())
            identity = (stat.st_dev, stat.st_ino)
            replaced = self._offset > 0 and (
                identity != self._identity or stat.st_size < self._offset or not self._same_tail(f)
            )
            if replaced:
                self._offset, self._tail = 0, b""
            self._identity = identity
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # 0: no whole line yet
        whole = data[:end]
        if whole:
            self._offset += end
            self._tail = (self._tail + whole)[-_CHECK_TAIL:]
        records = []
        for line in whole.splitlines():
            try:
                record = parse_json(line)
            except ValueError:
                continue  # damaged (a crash cut it, then a line was appended): skipped
            if isinstance(record, dict):
                records.append(record)
        return records, replaced

    def _same_tail(self, f) -> bool:
        if not self._tail:
            return True
        f.seek(self._offset - len(self._tail))
        return f.read(len(self._tail)) == self._tail


def checkpoint_is_whole(folder: Path) -> bool:
    """All of a checkpoint's files are there, the generator's as long as its header says."""
    if not all((folder / name).is_file() for name in (GENERATOR_FILE, DISCRIMINATOR_FILE)):
        return False
    if not (folder / STATE_FILE).is_file():
        return False
    try:
        return (folder / GENERATOR_FILE).stat().st_size == _safetensors_size(
            folder / GENERATOR_FILE
        )
    except (CheckpointError, OSError, ValueError):
        return False


def quiet_limit(metrics: list[Mapping[str, Any]]) -> float:
    """How long nothing may land before a writer on another machine seems stopped: ten of its
    usual gaps between metrics lines (the median of the last 20), and never under two
    minutes (a synced folder may bring files over a minute late)."""
    times = [
        r["elapsed_seconds"]
        for r in metrics[-21:]
        if isinstance(r.get("elapsed_seconds"), (int, float))
    ]
    gaps = sorted(b - a for a, b in zip(times, times[1:], strict=False) if b > a)
    if not gaps:
        return QUIET_FLOOR_S
    return max(QUIET_FLOOR_S, QUIET_LINES * gaps[len(gaps) // 2])


def locks_known() -> bool:
    """Whether this OS tells a held run lock (POSIX flock): elsewhere no lock is ever seen."""
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover (Windows)
        return False
    return True


def duration_words(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def describe_writer(
    record: Mapping[str, Any] | None,
    holder: str | None,
    quiet_s: float,
    limit_s: float,
    step: int | None,
    this_host: str | None = None,
    locks: bool = True,
    was_held: str | None = None,
    total: int | None = None,
) -> WriterStatus:
    """The writer as the banner names it. ``record``: writer.json (None for an older run);
    ``holder``: who holds the run's lock as seen from here (None: nobody on this machine);
    ``quiet_s``: seconds since something last landed; ``limit_s``: how long a writer may be
    quiet; ``step``: the newest step logged; ``locks``: whether this OS shows a held lock;
    ``was_held``: who held the lock when last seen (an older run's writer); ``total``: the
    run's iterations (an older run's writer that let go of the lock there finished)."""
    this_host = this_host or socket.gethostname()
    if record is None:
        if holder is not None:
            who = _holder_words(holder)
            return WriterStatus("training", who, f"{who} is training this run", "", step)
        if was_held is not None:  # it held the lock and let go: it ended
            who = _holder_words(was_held)
            if total is not None and step is not None and step >= total:
                where = f" at iteration {step:,}"
                return WriterStatus("finished", who, f"{who} finished{where}", "", step)
            return WriterStatus(
                "gone",
                who,
                f"The writer stopped ({who} is gone)",
                "It let go of the run's lock without finishing it (stopped, or killed).",
                step,
            )
        who = "another process"
        if quiet_s > limit_s:
            return WriterStatus(
                "quiet",
                who,
                f"Nothing new for {duration_words(quiet_s)}: no process seems to write this run",
                "(no writer.json names its writer)",
                step,
            )
        return WriterStatus(
            "unknown", who, "Another process writes this run", "(no writer.json names it)", step
        )
    host = str(record.get("host") or "another machine")
    pid = record.get("pid")
    command = str(record.get("command") or "a trainer")
    process = f"process {pid}" if type(pid) is int else "a process"
    same_host = host == this_host
    who = f"{command} ({process} on {'this machine' if same_host else host})"
    at = record.get("step") if type(record.get("step")) is int else step
    at = step if step is not None and (at is None or step > at) else at
    detail = _setup(record)
    batch = record["global_batch"] if type(record.get("global_batch")) is int else None
    state = str(record.get("state") or "training")
    if state in ENDED:
        words = {"finished": "finished", "stopped": "was stopped", "failed": "failed"}[state]
        where = f" at iteration {at:,}" if at is not None else ""
        return WriterStatus(state, who, f"{who} {words}{where}", detail, at, batch)
    if same_host and locks and holder is None:
        return WriterStatus(
            "gone",
            who,
            f"The writer stopped ({process} on {host} is gone)",
            "It ended without saying so (killed, or its machine slept).",
            at,
            batch,
        )
    if not same_host and quiet_s > limit_s:
        return WriterStatus(
            "quiet",
            who,
            f"{who} seems to have stopped: nothing new for {duration_words(quiet_s)}",
            f"It wrote more often than every {duration_words(limit_s / QUIET_LINES)}; "
            f"after {duration_words(limit_s)} of quiet it is taken as stopped.",
            at,
            batch,
        )
    verb = "is paused" if state == "paused" else "is training"
    state = "paused" if state == "paused" else "training"
    return WriterStatus(state, who, f"{who} {verb}", detail, at, batch)


def _holder_words(holder: str) -> str:
    """The lock file's "process 123" -> "process 123 on this machine"."""
    return f"{holder} on this machine" if holder.startswith("process") else holder


def _setup(record: Mapping[str, Any]) -> str:
    parts = []
    if type(record.get("processes")) is int and record["processes"] > 1:
        parts.append(f"{record['processes']} processes")
    if type(record.get("global_batch")) is int:
        parts.append(f"global batch {record['global_batch']}")
    if isinstance(record.get("started"), str):
        parts.append(f"started {record['started'][:19].replace('T', ' ')}")
    return ", ".join(parts)


@dataclass
class RunFollower:
    """Reads a run folder incrementally (see the module's description). Not thread-safe: one
    thread polls it at a time (the window's follow worker)."""

    run: RunDirectory
    clock: Any = time.monotonic  # seconds, for how long nothing has landed
    _metrics: JsonlTail = field(init=False)
    _quality: JsonlTail = field(init=False)
    _alerts: JsonlTail = field(init=False)
    _samples: set[int] = field(default_factory=set, init=False)
    _checkpoint: int | None = field(default=None, init=False)
    _config_stamp: tuple | None = field(default=None, init=False)
    _recent: list[dict[str, Any]] = field(default_factory=list, init=False)  # last metrics
    _last_news: float | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)  # the writer was seen stopped
    _holder: str | None = field(default=None, init=False)  # who held the lock, last seen
    _total: int | None = field(default=None, init=False)  # the run's iterations
    polls: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._metrics = JsonlTail(self.run.metrics_path)
        self._quality = JsonlTail(self.run.quality_path)
        self._alerts = JsonlTail(self.run.alerts_path)

    @classmethod
    def open(cls, folder: str | os.PathLike, **kwargs) -> RunFollower:
        """A follower of the run in ``folder``; RunDirectoryError when it holds no run."""
        return cls(RunDirectory.open(folder), **kwargs)

    def poll(self) -> RunNews:
        """What landed since the last poll (the first: everything there is)."""
        if not self.run.root.is_dir():
            raise RunDirectoryError(
                f"the run folder {self.run.root} is not there (moved, deleted, or its drive is "
                "not mounted): following goes on when it is back"
            )
        first = self.polls == 0
        self.polls += 1
        metrics, metrics_replaced = self._metrics.read()
        metrics = [r for r in metrics if _is_metrics_record(r)]
        quality, quality_replaced = self._quality.read()
        quality = [r for r in quality if type(r.get("step")) is int]
        alerts, _ = self._alerts.read()
        steps = self.run.sample_steps()
        new_samples = tuple(s for s in steps if s not in self._samples)
        self._samples = set(steps)
        checkpoints = [
            s
            for s in self.run.checkpoint_steps()
            if checkpoint_is_whole(self.run.checkpoint_path(s))
        ]
        newest = checkpoints[-1] if checkpoints else None
        new_checkpoint = newest if newest != self._checkpoint else None
        self._checkpoint = newest
        config = self._read_config(first)
        if metrics_replaced:
            self._recent = []
        self._recent = (self._recent + metrics)[-21:]
        landed = (
            bool(
                metrics or metrics_replaced or quality or quality_replaced or alerts or new_samples
            )
            or new_checkpoint is not None
        )
        now = self.clock()
        if first:
            self._last_news = now - self._age_of_files()
        elif landed:
            self._last_news = now
        if landed and self._stopped:  # written again after it stopped: a new writer
            self._holder = None
        writer = self._describe(now)
        resumed = not first and self._stopped and landed and writer.live
        self._stopped = not writer.live
        return RunNews(
            metrics=tuple(metrics),
            metrics_replaced=metrics_replaced,
            quality=tuple(quality),
            quality_replaced=quality_replaced,
            alerts=tuple(alerts),
            sample_steps=tuple(steps),
            new_sample_steps=new_samples,
            checkpoint_steps=tuple(checkpoints),
            new_checkpoint=new_checkpoint,
            config=config,
            writer=writer,
            resumed=resumed,
        )

    @property
    def newest_checkpoint(self) -> Path | None:
        return None if self._checkpoint is None else self.run.checkpoint_path(self._checkpoint)

    def _describe(self, now: float) -> WriterStatus:
        quiet = now - (self._last_news if self._last_news is not None else now)
        step = self._recent[-1]["step"] if self._recent else None
        holder = self.run.live_holder()
        status = describe_writer(
            self.run.read_writer(),
            holder,
            quiet,
            quiet_limit(self._recent),
            step,
            locks=locks_known(),
            was_held=self._holder,
            total=self._total,
        )
        if holder is not None:
            self._holder = holder
        elif status.live:  # training again, by whoever: a later let-go is that one's
            self._holder = None
        return status

    def _age_of_files(self) -> float:
        """Seconds since the run's files last changed, as the first poll finds them."""
        newest = 0.0
        for path in (self.run.metrics_path, self.run.samples_dir, self.run.checkpoints_dir):
            try:
                newest = max(newest, path.stat().st_mtime)
            except OSError:
                continue
        return max(0.0, time.time() - newest) if newest else 0.0

    def _read_config(self, first: bool) -> RunConfig | None:
        """The run's config on the first poll, and again whenever config.json changes."""
        try:
            stat = self.run.config_path.stat()
        except OSError:
            return None
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if stamp == self._config_stamp and not first:
            return None
        try:
            config = self.run.read_config()
        except RunDirectoryError:
            if first:  # not a run that can be shown
                raise
            return None  # being replaced, or damaged since: the config on screen stays
        self._config_stamp = stamp
        self._total = config.schedule.iterations
        return config
