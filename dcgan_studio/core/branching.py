"""Branching a run: a new run that starts from one of a run's checkpoints with some settings
changed ("what if D took two steps from here?"), beside its parent, which it never writes into.

The branch's folder gets its own copy of the checkpoint it starts from (hard links where the
disk allows, so it costs no space), the parent's grid, metrics line and score of that step, and
``branch.json``: the parent's folder, the step and the settings that changed. It then continues
as a resumed run does, so with no setting changed it repeats the parent's following steps
exactly. Deleting the parent leaves the branch whole.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from dcgan_studio.config import RunConfig, field_names
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.durable import durable_write_text, temporary_name
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.errors import StudioError

# how the same networks go on learning from the same data: what the Branch dialog offers
LEARNING = (
    "optim.lr_g",
    "optim.lr_d",
    "optim.beta1",
    "optim.beta2",
    "optim.d_steps",
    "optim.batch_size",
    "model.d_dropout",
    "optim.label_smoothing",
    "optim.ema_decay",
    "schedule.iterations",
)
# the settings a branch may change: those, and how long, how often and where it runs
BRANCHABLE = (
    *LEARNING,
    "schedule.epochs",
    "schedule.log_every",
    "schedule.sample_every",
    "schedule.checkpoint_every",
    "schedule.keep_checkpoints",
    "data.memory_limit_mb",
    "runtime.device",
    "runtime.precision",
    "runtime.deterministic",
    "runtime.tensorboard",
)
# why the others may not change
_NETWORKS = "they shape the networks, so the checkpoint's weights would not fit"
REFUSED = {
    "model.image_size": _NETWORKS,
    "model.channels": _NETWORKS,
    "model.nz": _NETWORKS,
    "model.ngf": _NETWORKS,
    "model.ndf": _NETWORKS,
    "data.dataset": "a branch goes on learning its parent's data",
    "data.data_root": "a branch goes on learning its parent's data",
    "schedule.seed": "a branch continues its parent's random streams, which the seed began",
    "schedule.sample_count": "a branch draws its grid from its parent's fixed noise",
}


class BranchError(StudioError):
    pass


def branch_config(parent: RunConfig, values: dict[str, Any]) -> RunConfig:
    """The parent's settings with ``values`` (dotted names) changed; a setting a branch may
    not change is refused with the reason."""
    refused = [  # in the order of the settings, whatever the order given
        name
        for name in field_names()
        if name in REFUSED and name in values and parent.value(name) != values[name]
    ]
    if refused:
        by_reason: dict[str, list[str]] = {}
        for name in refused:
            by_reason.setdefault(REFUSED[name], []).append(name.partition(".")[2])
        reasons = "; ".join(f"{', '.join(names)}: {why}" for why, names in by_reason.items())
        raise BranchError(
            f"a branch cannot change {reasons}. Start a new run to change them, or branch "
            "with the learning rates, betas, D steps, dropout, batch size or iterations"
        )
    values = dict(values)
    if "schedule.epochs" in values and values["schedule.epochs"] is not None:
        values.setdefault("schedule.iterations", None)
    elif "schedule.iterations" in values and values["schedule.iterations"] is not None:
        values.setdefault("schedule.epochs", None)
    return parent.with_values(values).validate()


def changed_settings(before: RunConfig, after: RunConfig) -> dict[str, list[Any]]:
    """``{"optim.lr_g": [before, after], ...}`` for every setting that differs."""
    return {
        name: [before.value(name), after.value(name)]
        for name in field_names()
        if before.value(name) != after.value(name)
    }


def parent_settings(parent: RunDirectory, step: int) -> RunConfig:
    """The settings the parent trained with at its checkpoint of ``step`` (a learning rate
    changed later rewrote its config.json, not the checkpoint), with the length it has now."""
    source = parent.checkpoint_of(step, " to branch from")
    saved = open_checkpoint(source).config
    now = parent.read_config()
    return saved.with_values(
        {"schedule.iterations": now.schedule.iterations, "schedule.epochs": now.schedule.epochs}
    ).validate()


def make_branch(
    parent: RunDirectory,
    step: int,
    config: RunConfig,
    root: str | os.PathLike,
    label: str = "",
) -> RunDirectory:
    """The branch's folder at ``root``: its config, its copy of the parent's checkpoint of
    ``step`` and what the parent saw at that step, ``branch.json`` and its ``label``. The parent
    is only read. Nothing is left at ``root`` when this fails."""
    source = parent.checkpoint_of(step, " to branch from")
    before = parent_settings(parent, step)
    checkpoint = open_checkpoint(source)
    checkpoint.check_networks(
        config.model, "the branch's networks", "branch with its parent's architecture"
    )
    root = Path(root)
    if root.resolve() == parent.root.resolve():
        raise BranchError("a branch needs a folder of its own: choose another --run-dir")
    RunDirectory.ensure_new(root)
    made_root = not root.exists()
    try:
        branch = RunDirectory.create(root, config)
        _copy_checkpoint(source, branch.checkpoint_path(step))
        record = {
            "parent": str(parent.root.resolve()),
            "parent_label": parent.read_label(),
            "step": step,
            "changed": changed_settings(before, config),
            "made": datetime.now().isoformat(),  # to the microsecond: it sorts after its parent
        }
        try:
            _carry_over(parent, branch, step)
            durable_write_text(branch.branch_path, json.dumps(record, indent=2) + "\n")
        except OSError as exc:
            raise BranchError(
                f"cannot write the branch's folder {root} ({exc.strerror or exc}): free space "
                "on the disk or choose a writable folder"
            ) from exc
        if label:
            branch.write_label(label)
    except BaseException:
        if made_root:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return branch


def _copy_checkpoint(source: Path, target: Path) -> None:
    """The checkpoint folder, whole under its name or not at all; files are hard links where
    the disk allows (checkpoints are never written in place, so the two stay equal)."""
    temporary = temporary_name(target)
    try:
        shutil.copytree(source, temporary, copy_function=_link_or_copy)
        os.replace(temporary, target)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise BranchError(
            f"cannot copy the checkpoint {source} into the branch ({exc.strerror or exc}): "
            "free space on the disk or choose a writable folder"
        ) from exc


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another disk, or a file system without hard links
        shutil.copy2(source, target)


def _carry_over(parent: RunDirectory, branch: RunDirectory, step: int) -> None:
    """The parent's grid, metrics line and scores of ``step``: the branch's curves and grids
    begin where it left its parent."""
    grid = parent.sample_path(step)
    if grid.is_file():
        _link_or_copy(str(grid), str(branch.sample_path(step)))
    for record in parent.read_metrics():
        if record["step"] == step:
            branch.append_metrics(record)
    for record in parent.read_quality():
        if record["step"] == step:
            branch.append_quality(record)


def start_branch(
    parent_root: str | os.PathLike,
    step: int | None,
    values: dict[str, Any],
    root: str | os.PathLike,
    commands: CommandQueue | None = None,
    *,
    label: str = "",
    how_to_extend: str,
) -> Any:
    """A Trainer for a new branch of the run at ``parent_root`` from its checkpoint of ``step``
    (None: the newest), with ``values`` changed. ``how_to_extend`` says, in the front end's
    words, how to give a branch of a finished run more iterations."""
    from dcgan_studio.core.launch import resume_run

    parent = RunDirectory.open(parent_root)
    steps = parent.checkpoint_steps()
    if step is None:
        if not steps:
            raise BranchError(f"{parent.root} has no checkpoint to branch from")
        step = steps[-1]
    config = branch_config(parent_settings(parent, step), values)
    total = config.schedule.iterations
    if total is not None and total <= step:
        raise BranchError(
            f"the branch would start at iteration {step} and end at {total}: {how_to_extend}"
        )
    branch = make_branch(parent, step, config, root, label)
    try:
        return resume_run(config, branch, commands, how_to_extend=how_to_extend, name="the branch")
    except BaseException:
        shutil.rmtree(branch.root, ignore_errors=True)  # a branch that never trained: no run
        raise
