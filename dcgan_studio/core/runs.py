"""The run directory: everything a run leaves on disk, written so that nothing saved is ever lost.

    RUN/config.json                 the RunConfig
    RUN/metrics.jsonl               one JSON line per logged step
    RUN/alerts.jsonl                one JSON line per alert raised (D winning, collapse,
                                    divergence...) with the last checkpoint before it
    RUN/samples/step-0000123.png    the fixed-noise grid, every sample_every steps
    RUN/checkpoints/step-0000300/   one folder per checkpoint (core.checkpoint_files)
    RUN/branch.json                 a branch's parent run and the step it started from
                                    (core.branching); written once, when the branch is made
    RUN/label.txt                   the name a person gave the run in the runs library
    RUN/writer.json                 who trains the run (host, process, command, state), for a
                                    window that follows it from elsewhere (core.follow)
    RUN/.lock                       held by the one trainer of the run while it trains
                                    (core.run_lock)

Every file is written durably (core.durable): a crash or a failed write leaves the previous file
or checkpoint whole, and what an interrupted save leaves behind is tidied by ``recover()``. The
names of core.checkpoint_files and core.durable that the rest of the app uses are here as well:
this module is where a run's files are found.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from dcgan_studio.config import RunConfig, parse_json
from dcgan_studio.core.checkpoint_files import (
    Checkpoint,
    checkpoint_name,
    checkpoint_steps,
    open_checkpoint,
    read_weights_only,
    save_checkpoint_folder,
    save_generator_file,
    step_of,
)
from dcgan_studio.core.durable import (
    append_line,
    durable_write_bytes,
    durable_write_text,
    temporary_name,
)
from dcgan_studio.core.run_lock import RunLock, lock_holder
from dcgan_studio.errors import ConfigError, RunDirectoryError

__all__ = [
    "Checkpoint",
    "RunDirectory",
    "RunLock",
    "default_runs_root",
    "durable_write_bytes",
    "durable_write_text",
    "new_run_path",
    "open_checkpoint",
    "read_weights_only",
    "save_checkpoint_folder",
    "save_generator_file",
]

# what an interrupted save leaves: ".step-0000300.tmp-1a2b3c4d" (being filled), ".old-" (being
# replaced), ".del-" (being pruned), ".metrics.jsonl.tmp-1a2b3c4d" (a file being written)
_LEFTOVER = re.compile(r"^\.(.+)\.(tmp|old|del)-[0-9a-f]{8}$")


def default_runs_root() -> Path:
    """Where new runs go unless the person chooses: ``runs/`` in the user's data folder."""
    from platformdirs import user_data_path

    return user_data_path("dcgan-studio", appauthor=False) / "runs"


def new_run_path(root: Path | None = None) -> Path:
    """A timestamped folder for a new run under ``root`` (default: ``default_runs_root()``)."""
    return (root or default_runs_root()) / datetime.now().strftime("%Y%m%d-%H%M%S")


class RunDirectory:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    config_path = property(lambda self: self.root / "config.json")
    metrics_path = property(lambda self: self.root / "metrics.jsonl")
    alerts_path = property(lambda self: self.root / "alerts.jsonl")
    quality_path = property(lambda self: self.root / "quality.jsonl")
    branch_path = property(lambda self: self.root / "branch.json")
    label_path = property(lambda self: self.root / "label.txt")
    writer_path = property(lambda self: self.root / "writer.json")
    samples_dir = property(lambda self: self.root / "samples")
    checkpoints_dir = property(lambda self: self.root / "checkpoints")

    @classmethod
    def ensure_new(cls, root: str | os.PathLike) -> None:
        """Refuse a folder that already holds a run, or a file in the way."""
        run = cls(root)
        if run.config_path.exists():
            raise RunDirectoryError(
                f"{run.root} already holds a run: continue it with --resume {run.root}, "
                "or choose another --run-dir"
            )
        if run.root.exists() and not run.root.is_dir():
            raise RunDirectoryError(f"{run.root} is a file, not a folder: choose another --run-dir")

    @classmethod
    def create(cls, root: str | os.PathLike, config: RunConfig) -> RunDirectory:
        cls.ensure_new(root)
        run = cls(root)
        try:
            run.samples_dir.mkdir(parents=True, exist_ok=True)
            run.checkpoints_dir.mkdir(exist_ok=True)
            durable_write_text(run.config_path, config.to_json())
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write the run folder {run.root} ({exc.strerror}): choose a writable "
                "--run-dir"
            ) from exc
        return run

    @classmethod
    def open(cls, root: str | os.PathLike) -> RunDirectory:
        run = cls(root)
        if not run.config_path.is_file():
            raise RunDirectoryError(
                f"{run.root} is not a DCGAN Studio run (no config.json): give the folder that "
                "was passed as --run-dir"
            )
        return run

    def lock(self) -> RunLock:
        """Hold this run for one trainer; a second (another window or terminal) is refused."""
        return RunLock(self.root)

    def live_holder(self) -> str | None:
        """Who holds this run's lock (a trainer in this or another process), as the lock file
        names it; None when no one trains in it. Reads only: never writes into the run."""
        return lock_holder(self.root)

    def read_label(self) -> str:
        """The name given in the runs library; "" where none was given."""
        try:
            text = self.label_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " ".join(text.split())[:200]  # one line, whatever an editor left in the file

    def write_label(self, label: str) -> None:
        """Name the run (one line); an empty label takes the name away. The folder stays."""
        label = " ".join(label.split())
        try:
            if label:
                durable_write_text(self.label_path, label + "\n")
            else:
                self.label_path.unlink(missing_ok=True)
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot name the run {self.root} ({exc.strerror or exc}): fix the folder's "
                "permissions; its name is as it was"
            ) from exc

    def write_writer(self, record: Mapping[str, Any]) -> None:
        """Who trains the run and how it stands (``host``, ``pid``, ``command``, ``processes``,
        ``global_batch``, ``state``, ``started``, ``updated``, ``step``): written when training
        starts, at each checkpoint and when it ends. Raises OSError like the run's other files."""
        durable_write_text(self.writer_path, json.dumps(dict(record), sort_keys=True) + "\n")

    def read_writer(self) -> dict[str, Any] | None:
        """What ``write_writer`` wrote; None for a run without one (older runs) or a damaged
        one."""
        try:
            record = parse_json(self.writer_path.read_bytes())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def read_branch(self) -> dict[str, Any] | None:
        """Where a branch came from: ``{"parent": path, "step": N, "changed": {...}}``; None
        for a run that is not a branch, or whose branch.json is damaged."""
        try:
            record = parse_json(self.branch_path.read_bytes())
        except (OSError, ValueError):
            return None
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("parent"), str)
            or type(record.get("step")) is not int
        ):
            return None
        if not isinstance(record.get("changed"), dict):
            record["changed"] = {}
        return record

    def last_metrics(self) -> dict[str, Any] | None:
        """The newest whole metrics line, read from the end of the file (a long run's file is
        not read whole to list it)."""
        try:
            with open(self.metrics_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 16384))
                tail = f.read()
        except OSError:
            return None
        for line in reversed(tail.splitlines()):
            try:
                record = parse_json(line)
            except ValueError:
                continue
            if isinstance(record, dict) and is_metrics_record(record):
                return record
        return None

    def recover(self) -> list[str]:
        """Before training in it again: the run's folders made again where they were deleted,
        and what an interrupted save left removed, or put back where it is the only whole copy
        (a save killed between its two renames). Returns what was done, a line each."""
        done = []
        for folder in (self.samples_dir, self.checkpoints_dir):
            if not folder.is_dir():
                try:
                    folder.mkdir()
                    done.append(f"made the missing folder {folder}")
                except OSError as exc:
                    raise RunDirectoryError(
                        f"cannot make the run's folder {folder} "
                        f"({exc.strerror or exc}): fix its permissions"
                    ) from exc
        for folder in (self.root, self.samples_dir, self.checkpoints_dir):
            for path in sorted(folder.iterdir()):
                match = _LEFTOVER.match(path.name)
                if match is None:
                    continue
                whole = folder / match.group(1)
                try:
                    if match.group(2) == "old" and not whole.exists():
                        os.replace(path, whole)
                        done.append(f"put back {whole}, which an interrupted save had set aside")
                    elif path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                        done.append(f"removed {path}, left by an interrupted save")
                    else:
                        path.unlink()
                        done.append(f"removed {path}, left by an interrupted save")
                except OSError:
                    continue  # not ours to remove (permissions): it does no harm where it is
        return done

    def read_config(self) -> RunConfig:
        try:
            data = parse_json(self.config_path.read_bytes())
        except OSError as exc:
            raise RunDirectoryError(
                f"{self.config_path} cannot be read ({exc.strerror}): check its permissions"
            ) from exc
        except ValueError as exc:
            raise RunDirectoryError(
                f"{self.config_path} is not a valid run config: it is not "
                f"JSON ({exc}); correct it, or start a new run"
            ) from exc
        try:
            return RunConfig.from_dict(data)
        except ConfigError as exc:
            raise RunDirectoryError(
                f"{self.config_path} is not a valid run config: {exc}; "
                "correct it, or start a new run"
            ) from exc

    def write_config(self, config: RunConfig) -> None:
        durable_write_text(self.config_path, config.to_json())

    # metrics
    def append_metrics(self, record: Mapping[str, Any]) -> None:
        append_line(self.metrics_path, record)

    # alerts
    def record_alert(self, alert: Any, checkpoint_before: int | None) -> None:
        """An ``alerts.Alert`` as it rose, with the step of the newest checkpoint taken before
        it: pruning keeps that checkpoint, the one to go back to."""
        append_line(
            self.alerts_path,
            {
                "step": alert.step,
                "kind": alert.kind,
                "severity": alert.severity,
                "title": alert.title,
                "message": alert.message,
                "what_to_try": alert.what_to_try,
                "checkpoint_before": checkpoint_before,
            },
        )

    def read_alerts(self) -> list[dict[str, Any]]:
        return _read_lines(self.alerts_path)

    def protected_steps(self) -> set[int]:
        """Checkpoints pruning never deletes: for each kind of alert, the last one before its
        first time and before its latest (at most two a kind, however often an alert flaps)."""
        by_kind: dict[str, list[int]] = {}
        for r in self.read_alerts():
            if type(r.get("checkpoint_before")) is int and isinstance(r.get("kind"), str):
                by_kind.setdefault(r["kind"], []).append(r["checkpoint_before"])
        return {step for steps in by_kind.values() for step in (steps[0], steps[-1])}

    def checkpoint_before(self, alert: Any) -> int | None:
        """The newest checkpoint from before ``alert``'s sign began or, where pruning took that
        already, from before it rose: the one to go back to (``record_alert`` protects it)."""
        steps = self.checkpoint_steps()
        before = [s for s in steps if s < alert.began] or [s for s in steps if s <= alert.step]
        return before[-1] if before else None

    def read_metrics(self) -> list[dict[str, Any]]:
        """The logged records; a damaged line (not a record of numbers with a whole "step") is
        left out, so a viewer plots the rest and a resume keeps them."""
        return [r for r in _read_lines(self.metrics_path) if is_metrics_record(r)]

    def truncate_metrics_after(self, step: int) -> None:
        """Drop lines logged after ``step`` (written after the checkpoint a resume starts from),
        in the metrics and the quality scores alike."""
        for path, read in (
            (self.metrics_path, self.read_metrics),
            (self.quality_path, self.read_quality),
        ):
            if path.exists():
                _write_lines(path, [r for r in read() if r.get("step", 0) <= step])

    # quality scores (core/quality): written by whoever scores, read by a viewer
    def append_quality(self, record: Mapping[str, Any]) -> None:
        append_line(self.quality_path, record)

    def put_quality(self, record: Mapping[str, Any]) -> None:
        """A score made afterwards (``score --save``): in step order, in place of one of the
        same step, generator and feature space."""
        holder = self.live_holder()
        if holder is not None:  # its trainer appends scores: a rewrite could drop one
            raise RunDirectoryError(
                f"{self.root} is being trained by {holder}: score it with --save once it stops"
            )
        same = ("step", "generator", "feature_space")
        kept = [r for r in self.read_quality() if any(r.get(k) != record.get(k) for k in same)]
        records = sorted([*kept, dict(record)], key=lambda r: r["step"])
        try:
            _write_lines(self.quality_path, records)
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write {self.quality_path} ({exc.strerror or exc}): free space or fix "
                "the folder's permissions; the scores it held are as they were"
            ) from exc

    def read_quality(self) -> list[dict[str, Any]]:
        """The score records; a damaged line is left out, as in the metrics."""
        return [r for r in _read_lines(self.quality_path) if type(r.get("step")) is int]

    # samples
    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"{checkpoint_name(step)}.png"

    def sample_steps(self) -> list[int]:
        return sorted(
            step
            for p in self.samples_dir.glob("step-*.png")
            if (step := step_of(p.stem)) is not None
        )

    # checkpoints
    def checkpoint_steps(self) -> list[int]:
        return checkpoint_steps(self.checkpoints_dir)

    def checkpoint_path(self, step: int) -> Path:
        return self.checkpoints_dir / checkpoint_name(step)

    def checkpoint_of(self, step: int, purpose: str = "", otherwise: str = "") -> Path:
        """The checkpoint folder of ``step``; where there is none, a RunDirectoryError naming
        the run's newest ones (``purpose``: " to branch from"; ``otherwise``: another fix)."""
        steps = self.checkpoint_steps()
        if step not in steps:
            have = ", ".join(str(s) for s in steps[-8:]) or "none"
            raise RunDirectoryError(
                f"{self.root} has no checkpoint of iteration {step}{purpose}: choose one of its "
                f"checkpoints ({have}){otherwise}"
            )
        return self.checkpoint_path(step)

    def latest_checkpoint(self) -> Path | None:
        steps = self.checkpoint_steps()
        return self.checkpoint_path(steps[-1]) if steps else None

    def prune_checkpoints(self, keep: int) -> None:
        """Delete all but the newest ``keep`` checkpoints, never one an alert protects."""
        if keep <= 0:
            return
        try:
            protected = self.protected_steps()
        except RunDirectoryError:
            return  # alerts.jsonl unreadable: keep everything rather than guess
        for step in self.checkpoint_steps()[:-keep]:
            if step in protected:
                continue
            # renamed first: a kill mid-delete leaves a leftover, never a half checkpoint
            path = self.checkpoint_path(step)
            doomed = temporary_name(path, "del")
            try:
                os.replace(path, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)


def _write_lines(path: Path, records: list[Mapping[str, Any]]) -> None:
    """A .jsonl file written again whole (durably), a record a line as ``append_line`` writes
    them."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
    durable_write_text(path, text)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a .jsonl file. A line that is not one (cut short by a crash, or
    damaged: not UTF-8, a 5000-digit number, deep nesting) is skipped, not a failure."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunDirectoryError(
            f"{path} cannot be read ({exc.strerror}): check its permissions"
        ) from exc
    records = []
    for line in data.splitlines():
        try:
            record = parse_json(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def is_metrics_record(record: dict[str, Any]) -> bool:
    step = record.get("step")
    return (
        type(step) is int
        and step >= 0
        and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in record.values()
        )
    )
