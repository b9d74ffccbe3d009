"""Who writes a followed run, and whether they still do, in words for the window's banner:
from RUN/writer.json (which the trainer writes as it starts, checkpoints and ends), the run's
lock as seen from here, and how long nothing has landed (``core.follow`` measures that)."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from dcgan_studio.core.durations import duration_words

ENDED = ("finished", "stopped", "failed")  # writer.json's states of a writer that is done
QUIET_FLOOR_S = 120.0  # a writer on another machine seems stopped after at least this long...
QUIET_LINES = 10  # ...or this many of its usual gaps between two landings of lines, if longer


def now() -> str:
    """The local time with its offset, to the second, as writer.json says it."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def writer_record(
    command: str, processes: int, global_batch: int, state: str, step: int, started: str
) -> dict[str, Any]:
    """What the trainer writes into writer.json: who trains the run (this host and process, the
    command), with how many processes and images an iteration, and how it stands."""
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "command": command,
        "processes": processes,
        "global_batch": global_batch,
        "state": state,
        "started": started or now(),
        "updated": now(),
        "step": step,
    }


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


def quiet_limit(gaps: list[float]) -> float:
    """How long nothing may land before a writer on another machine seems stopped: ten of its
    usual gaps between landings of metrics lines (the median of the last 20, in seconds of
    wall-clock time: checkpoints, grids and scoring included), and never under two minutes (a
    synced folder may bring files over a minute late)."""
    gaps = sorted(g for g in gaps[-20:] if g > 0)
    if not gaps:
        return QUIET_FLOOR_S
    return max(QUIET_FLOOR_S, QUIET_LINES * gaps[len(gaps) // 2])


def training_gaps(metrics: list[Mapping[str, Any]]) -> list[float]:
    """The gaps between metrics lines by their ``elapsed_seconds``: training time only, so
    shorter than the wall-clock gaps (a first look at a run has nothing else to go by)."""
    times = [
        r["elapsed_seconds"]
        for r in metrics[-21:]
        if isinstance(r.get("elapsed_seconds"), (int, float))
    ]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def locks_known() -> bool:
    """Whether this OS tells a held run lock (POSIX flock): elsewhere no lock is ever seen."""
    try:
        import fcntl  # noqa: F401
    except ImportError:  # pragma: no cover (Windows)
        return False
    return True


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
