"""Following a run that another process writes: what is new in its folder since the last look,
and who writes it.

A ``RunFollower`` is asked again and again (by a file watcher, or a timer where watchers miss
changes: network and synced folders); each ``poll()`` returns a ``RunNews`` of what landed since
the one before:

- the whole new lines of metrics.jsonl, quality.jsonl and alerts.jsonl; a last line without its
  newline is being written (or synced) and waits for the next poll, so nothing is shown broken.
  A file written again whole (a resume cuts the metrics back to its checkpoint) is read again
  from its start, and the news says the old lines are replaced (of alerts.jsonl, only the
  alerts not read before are news: each is shown once);
- the steps of the sample grids that appeared (a grid is written under a hidden name and renamed
  into place, so one that is there is whole);
- the checkpoints that appeared, each counted once all its files are there and whole, each
  weights file as long as its header says (a checkpoint is renamed into place whole; a synced
  folder may still be bringing its files over);
- who writes the run and how it stands (``core.writer_status.WriterStatus``), from
  RUN/writer.json, the run's lock, and how long nothing has landed.

Only reads: a follower never writes into the run, and never takes its lock.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dcgan_studio.config import RunConfig, parse_json
from dcgan_studio.core.checkpoint_files import (
    DISCRIMINATOR_FILE,
    GENERATOR_FILE,
    STATE_FILE,
    safetensors_size,
)
from dcgan_studio.core.runs import RunDirectory, is_metrics_record
from dcgan_studio.core.writer_status import (
    WriterStatus,
    describe_writer,
    locks_known,
    quiet_limit,
    training_gaps,
)
from dcgan_studio.errors import CheckpointError, RunDirectoryError

_CHECK_TAIL = 64  # bytes before a file's read position compared on each poll (a rewrite)


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
    resumed: bool = False  # something landed after the writer had stopped, and it is live
    continued_from: int | None = None  # when resumed: the iteration it continued from

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
    """All of a checkpoint's files are there and whole: G's and D's weights (and G (EMA)'s,
    where there is one) as long as their safetensors headers say, the training state not
    empty. A synced folder may bring the files over one by one, each growing as it comes."""
    try:
        weights = [p for p in folder.iterdir() if p.name.endswith(".safetensors")]
        names = {p.name for p in weights}
        if not {GENERATOR_FILE, DISCRIMINATOR_FILE} <= names:
            return False
        if (folder / STATE_FILE).stat().st_size == 0:
            return False
        return all(p.stat().st_size == safetensors_size(p) for p in weights)
    except (CheckpointError, OSError, ValueError):
        return False


@dataclass
class RunFollower:
    """Reads a run folder incrementally (see the module's description). Not thread-safe: one
    thread polls it at a time (the window's follow worker)."""

    run: RunDirectory
    clock: Any = time.monotonic  # seconds, for how long nothing has landed
    _metrics: JsonlTail = field(init=False)
    _quality: JsonlTail = field(init=False)
    _alerts: JsonlTail = field(init=False)
    _alerts_seen: set[str] = field(default_factory=set, init=False)  # every alert line read
    _samples: set[int] = field(default_factory=set, init=False)
    _whole: set[int] = field(default_factory=set, init=False)  # checkpoints seen whole
    _checkpoint: int | None = field(default=None, init=False)
    _config_stamp: tuple | None = field(default=None, init=False)
    _recent: list[dict[str, Any]] = field(default_factory=list, init=False)  # last metrics
    _arrivals: list[float] = field(default_factory=list, init=False)  # clock() of polls with lines
    _last_news: float | None = field(default=None, init=False)
    _stopped: bool = field(default=False, init=False)  # the writer was seen stopped
    _continued: int | None = field(default=None, init=False)  # from where, if it goes on
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
        metrics = [r for r in metrics if is_metrics_record(r)]
        quality, quality_replaced = self._quality.read()
        quality = [r for r in quality if type(r.get("step")) is int]
        alerts = self._new_alerts()
        steps = self.run.sample_steps()
        new_samples = tuple(s for s in steps if s not in self._samples)
        self._samples = set(steps)
        checkpoints = self._whole_checkpoints()
        before = self._checkpoint, self._recent[-1]["step"] if self._recent else None
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
        if metrics and not first:
            self._arrivals = (self._arrivals + [now])[-21:]
        if landed and self._stopped:  # written again after it stopped: a new writer
            self._holder = None
            self._note_continued(metrics_replaced, *before)
        writer = self._describe(now)
        # a resume rewrites metrics.jsonl before its writer.json says training: what landed
        # while the writer still seemed stopped counts once it is seen live
        resumed = not first and self._stopped and writer.live and self._continued is not None
        continued_from = self._continued if resumed else None
        self._stopped = not writer.live
        if writer.live:
            self._continued = None
        else:  # the time it stood still is no gap between two of its lines
            self._arrivals = []
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
            continued_from=continued_from,
        )

    def _note_continued(self, replaced: bool, checkpoint: int | None, step: int | None) -> None:
        """Something landed while the writer seemed stopped: it continues, from the checkpoint
        its resume cut the metrics back to, else from where it was (the first that landed)."""
        if replaced and checkpoint is not None:
            self._continued = checkpoint
        elif self._continued is None:
            self._continued = step if step is not None else 0

    def _new_alerts(self) -> list[dict[str, Any]]:
        """The alert lines not read before: a file written again whole brings back only the
        ones it did not hold before (each is shown once)."""
        records, _ = self._alerts.read()
        new = []
        for record in records:
            key = json.dumps(record, sort_keys=True)
            if key not in self._alerts_seen:
                self._alerts_seen.add(key)
                new.append(record)
        return new

    def _whole_checkpoints(self) -> list[int]:
        """The steps of the checkpoints there whose files are all whole (one seen whole stays
        so: its folder is renamed into place, and nothing writes into it after)."""
        steps = self.run.checkpoint_steps()
        self._whole &= set(steps)
        for step in steps:
            if step not in self._whole and checkpoint_is_whole(self.run.checkpoint_path(step)):
                self._whole.add(step)
        return [s for s in steps if s in self._whole]

    @property
    def newest_checkpoint(self) -> Path | None:
        return None if self._checkpoint is None else self.run.checkpoint_path(self._checkpoint)

    def _describe(self, now: float) -> WriterStatus:
        quiet = now - (self._last_news if self._last_news is not None else now)
        step = self._recent[-1]["step"] if self._recent else None
        holder = self.run.live_holder()
        gaps = [b - a for a, b in zip(self._arrivals, self._arrivals[1:], strict=False)]
        status = describe_writer(
            self.run.read_writer(),
            holder,
            quiet,
            quiet_limit(gaps or training_gaps(self._recent)),
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
