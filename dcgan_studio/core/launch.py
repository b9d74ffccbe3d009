"""Starting a run and resuming one: the same steps for the command line and the window."""

from __future__ import annotations

import os

from dcgan_studio.config import RunConfig
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.errors import StudioError


def start_run(config: RunConfig, root: str | os.PathLike,
              commands: CommandQueue | None = None) -> Trainer:
    """A new run in ``root``; the folder is made only once the data and networks are built."""
    RunDirectory.ensure_new(root)
    trainer = Trainer(config, commands=commands)
    trainer.run_dir = RunDirectory.create(root, config)
    return trainer


def resume_run(config: RunConfig, run: RunDirectory, commands: CommandQueue | None = None, *,
               how_to_extend: str) -> Trainer:
    """Continue ``run`` from its newest checkpoint under ``config`` (its length may have grown).

    ``how_to_extend`` ends the message for a run that is already complete, in the words of the
    front end ("resume with a larger --iterations")."""
    latest = run.latest_checkpoint()
    if latest is None:
        raise StudioError(f"{run.root} has no checkpoint to resume from: start a new run")
    checkpoint = open_checkpoint(latest)
    trainer = Trainer(config, run, commands=commands, resume_from=checkpoint)
    if trainer.step >= trainer.total_iterations:
        raise StudioError(f"the run in {run.root} is already at iteration {trainer.step} of "
                          f"{trainer.total_iterations}: {how_to_extend}")
    run.truncate_metrics_after(checkpoint.step)  # lines logged after the checkpoint
    run.write_config(config)
    return trainer
