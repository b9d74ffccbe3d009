"""The runs library: every run in the folders a person keeps runs in, summed up for a list
(settings, progress, last score, parent, whether something trains in it now), the settings that
differ between runs, and deleting a run without losing what others depend on.

Everything here only reads a run, but ``delete_run`` and ``RunDirectory.write_label``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dcgan_studio.config import RunConfig, field_names
from dcgan_studio.core.durable import temporary_name
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.errors import StudioError


@dataclass(frozen=True)
class RunSummary:
    """What the library shows of one run folder."""

    path: Path
    key: Path  # the folder's path resolved: how runs are told apart (no file system call later)
    name: str  # the folder's name
    label: str  # the name a person gave it, "" for none
    config: RunConfig | None  # None: config.json is damaged (``problem`` says how)
    step: int  # the newest step it logged, or checkpointed
    total: int | None  # the iterations it trains to (None: set in epochs)
    started: datetime | None
    last_active: datetime | None
    seconds: float  # time spent training
    kid: float | None  # its newest quality score, and the step of it
    kid_step: int | None
    parent: Path | None  # the run it branched from, and the checkpoint's step
    parent_step: int | None
    parent_exists: bool  # False once the parent was deleted (the branch stays whole)
    changed: dict[str, list[Any]]  # what the branch changed: {"optim.lr_g": [old, new]}
    live: str | None  # who trains in it now (the lock file's words), None when no one
    thumbnail: Path | None  # its newest saved grid
    checkpoints: tuple[int, ...]
    problem: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def dataset(self) -> str:
        return self.config.data.dataset if self.config else "?"

    @property
    def image_size(self) -> int | None:
        return self.config.model.image_size if self.config else None


def summarise(root: Path) -> RunSummary:
    """One run folder summed up; a damaged config is said in ``problem``, not raised."""
    run = RunDirectory(root)
    problem, config = "", None
    try:
        config = run.read_config()
    except StudioError as exc:
        problem = str(exc)
    last = run.last_metrics() or {}
    checkpoints = tuple(run.checkpoint_steps())
    samples = run.sample_steps()
    step = max([last.get("step", 0), *checkpoints[-1:], *samples[-1:]])
    scores = comparable_scores(_quietly(run.read_quality))
    origin = run.read_branch()
    first_grid = run.sample_path(samples[0]) if samples else run.config_path
    started = _made(origin) or _modified(first_grid) or _modified(run.config_path)
    parent = _find_parent(run, Path(origin["parent"])) if origin else None
    return RunSummary(
        path=run.root,
        key=run.root.resolve(),
        name=run.root.name,
        label=run.read_label(),
        config=config,
        step=int(step),
        total=config.schedule.iterations if config else None,
        started=started,
        last_active=max(
            filter(None, (_modified(p) for p in (run.metrics_path, run.config_path))),
            default=None,
        ),
        seconds=float(last.get("elapsed_seconds") or 0.0),
        kid=float(scores[-1]["kid"]) if scores else None,
        kid_step=int(scores[-1]["step"]) if scores else None,
        parent=parent,
        parent_step=origin["step"] if origin else None,
        parent_exists=parent is not None and (parent / "config.json").is_file(),
        changed=origin["changed"] if origin else {},
        live=run.live_holder(),
        thumbnail=run.sample_path(samples[-1]) if samples else None,
        checkpoints=checkpoints,
        problem=problem,
    )


def scan(folders: Iterable[Path]) -> list[RunSummary]:
    """Every run in ``folders`` (a folder that is itself a run counts too), newest first; a
    folder that is missing or cannot be read is skipped."""
    found: dict[Path, RunSummary] = {}
    for folder in folders:
        folder = Path(folder)
        try:
            # a hidden folder is not a run: such as what an interrupted delete left
            candidates = [
                folder,
                *sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
            ]
        except OSError:
            continue
        for path in candidates:
            if (path / "config.json").is_file():
                key = path.resolve()
                if key not in found:
                    found[key] = summarise(path)
    return sorted(
        found.values(),
        key=lambda s: s.started.timestamp() if s.started else 0.0,
        reverse=True,
    )


def comparable_scores(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The KID scores that can be drawn as one curve: those of the newest score's generator and
    feature space, in step order."""
    scored = [r for r in records if isinstance(r.get("kid"), (int, float))]
    if not scored:
        return []
    kind = (scored[-1].get("generator", "G"), scored[-1].get("feature_space"))
    same = [r for r in scored if (r.get("generator", "G"), r.get("feature_space")) == kind]
    return sorted(same, key=lambda r: r["step"])


def config_diff(a: RunConfig, b: RunConfig) -> list[tuple[str, Any, Any]]:
    """(setting, a's value, b's value) for each setting where the two runs differ."""
    return [
        (name, a.value(name), b.value(name))
        for name in field_names()
        if a.value(name) != b.value(name)
    ]


def differing_settings(configs: Iterable[RunConfig]) -> list[str]:
    """The settings that are not the same in all of ``configs`` (run-time ones left out: where
    a run trained does not make it another experiment)."""
    configs = list(configs)
    return [
        name
        for name in field_names()
        if not name.startswith("runtime.")
        and name != "data.memory_limit_mb"
        and len({repr(c.value(name)) for c in configs}) > 1
    ]


def delete_run(summary: RunSummary, trash: Callable[[Path], bool] | None = None) -> str:
    """Delete a run folder: to the system's trash where ``trash`` takes it, else for good.
    A run something trains in is refused. Branches keep their own copy of the checkpoint they
    started from, so they stay whole. Returns "trash" or "deleted"."""
    run = RunDirectory(summary.path)
    holder = run.live_holder()
    if holder is not None:
        raise StudioError(
            f"{summary.path} is being trained by {holder}: stop it before deleting the run"
        )
    try:
        lock = run.lock()  # held while it goes: no trainer starts in it meanwhile
    except StudioError as exc:
        raise StudioError(f"{exc}; it was not deleted") from exc
    try:
        if trash is not None and trash(summary.path):
            return "trash"
        doomed = temporary_name(summary.path, "del")  # renamed first: never half a run
        try:
            os.replace(summary.path, doomed)
        except OSError as exc:
            raise StudioError(
                f"cannot delete {summary.path} ({exc.strerror or exc}): check its permissions"
            ) from exc
        try:
            shutil.rmtree(doomed)
        except OSError as exc:
            raise StudioError(
                f"the run is gone from the list, but {doomed} could not be removed wholly "
                f"({exc.strerror or exc}): delete that folder by hand"
            ) from exc
        return "deleted"
    finally:
        lock.release()


def _modified(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime)
    except OSError:
        return None


def _find_parent(run: RunDirectory, recorded: Path) -> Path:
    """The parent where branch.json says; where it is not there (the runs were copied, moved
    or synced elsewhere), a run of the same name beside the branch."""
    if (recorded / "config.json").is_file():
        return recorded
    beside = run.root.parent / recorded.name
    return beside.resolve() if (beside / "config.json").is_file() else recorded


def _made(origin: dict[str, Any] | None) -> datetime | None:
    """When a branch was made (its first grid is its parent's, with the parent's date)."""
    try:
        return datetime.fromisoformat(origin["made"]) if origin else None
    except (KeyError, TypeError, ValueError):
        return None


def _quietly(read: Callable[[], list[dict]]) -> list[dict]:
    try:
        return read()
    except StudioError:
        return []
