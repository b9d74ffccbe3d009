"""Starting a run and resuming one: the same steps for the command line and the window. Under
torchrun, rank 0 starts or resumes the run and sends the others what they need to build the same
trainer (``follow_leader``)."""

from __future__ import annotations

import os

from dcgan_studio.config import RunConfig
from dcgan_studio.core import distributed, tensorboard_log
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.errors import CheckpointError, RunDirectoryError, StudioError


def start_run(
    config: RunConfig, root: str | os.PathLike, commands: CommandQueue | None = None
) -> Trainer:
    """A new run in ``root``; the folder is made only once the data and networks are built."""
    RunDirectory.ensure_new(root)
    tensorboard_log.check_available(config.runtime.tensorboard)
    distributed.team().send_start(config.to_json(), None)
    trainer = Trainer(config, commands=commands)
    trainer.run_dir = RunDirectory.create(root, config)
    trainer.run_lock = trainer.run_dir.lock()
    return trainer


def resume_run(
    config: RunConfig,
    run: RunDirectory,
    commands: CommandQueue | None = None,
    *,
    how_to_extend: str,
    name: str = "",
) -> Trainer:
    """Continue ``run`` from its newest checkpoint under ``config`` (its length may have grown).

    ``how_to_extend`` ends the message for a run that is already complete, in the words of the
    front end ("resume with a larger --iterations"); ``name`` says what the run is, where not
    "the run in ROOT" (a branch being made)."""
    lock = run.lock()  # before anything changes: no other trainer is in this run
    try:
        trainer = _resume(config, run, commands, how_to_extend, name)
    except BaseException:
        lock.release()
        raise
    trainer.run_lock = lock
    return trainer


def _resume(
    config: RunConfig,
    run: RunDirectory,
    commands: CommandQueue | None,
    how_to_extend: str,
    name: str = "",
) -> Trainer:
    tensorboard_log.check_available(config.runtime.tensorboard)
    recovered = run.recover()  # before looking for the newest checkpoint: one may be put back
    latest = run.latest_checkpoint()
    if latest is None:
        raise StudioError(f"{run.root} has no checkpoint to resume from: start a new run")
    try:
        checkpoint = open_checkpoint(latest)
        # the tensors' shapes from the headers before the trainer loads data and builds networks
        checkpoint.check_networks(
            config.model,
            f"this run's networks ({run.config_path})",
            "the checkpoint is damaged, or the config was changed since it was saved",
        )
        distributed.team().send_start(config.to_json(), checkpoint.path)
        trainer = Trainer(config, run, commands=commands, resume_from=checkpoint)
    except CheckpointError as exc:  # a resume always takes the newest: say how to go back one
        earlier = run.checkpoint_steps()[:-1]
        if not earlier:
            raise
        raise CheckpointError(
            f"{exc}; to resume from the checkpoint before it (iteration "
            f"{earlier[-1]}), move {latest} out of {run.checkpoints_dir}"
        ) from exc
    if trainer.step >= trainer.total_iterations:
        raise StudioError(
            f"{name or f'the run in {run.root}'} is already at iteration {trainer.step} of "
            f"{trainer.total_iterations}: {how_to_extend}"
        )
    try:
        run.truncate_metrics_after(checkpoint.step)  # lines logged after the checkpoint
        run.write_config(config)
    except OSError as exc:
        raise RunDirectoryError(
            f"cannot write to the run folder {run.root} "
            f"({exc.strerror or exc}): free space on the disk or fix the "
            "folder's permissions; nothing in it has changed"
        ) from exc
    trainer.recovered = recovered
    return trainer


def follow_leader(commands: CommandQueue | None = None) -> Trainer:
    """Under torchrun, a process other than rank 0: the trainer rank 0 starts or resumes, with
    no run folder (rank 0 writes it), from the settings and checkpoint rank 0 sends."""
    team = distributed.team()
    config_json, checkpoint, folder = team.receive_start()
    try:
        resume_from = open_checkpoint(checkpoint) if checkpoint is not None else None
        trainer = Trainer(
            RunConfig.from_json(config_json), commands=commands, resume_from=resume_from
        )
    finally:
        if folder is not None:  # loaded: the trainer holds it all
            folder.cleanup()
    team.await_go()  # rank 0 may still refuse the run (one already complete, say)
    return trainer
