"""How a session of training ends, and what it leaves for the next one.

- finished or stopped: the scalars, grid and checkpoint of its last step, the processes of a
  torchrun run checked to hold the same weights, and writer.json saying so;
- diverged: failed, with the last good checkpoint kept and an alert that says what to try;
- a write that failed: one checkpoint tried so that nothing trained is lost, then paused (the
  window: free space, then Resume) or failed (the command line: free space, then --resume).

Each is a generator of the Trainer's snapshots, as its loop yields them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dcgan_studio.core.alerts import NON_FINITE, Alert
from dcgan_studio.core.snapshots import Snapshot
from dcgan_studio.errors import RunDirectoryError

if TYPE_CHECKING:
    from dcgan_studio.core.engine import Trainer


def finish(trainer: Trainer, state: str, message: str) -> Iterator[Snapshot]:
    """The session ends as ``state`` (finished or stopped), ``message`` saying why."""
    if trainer.diverged():
        yield from fail(trainer)
        return
    # a stop between logged steps: the scalars, the grid and the checkpoint all of this step
    yield from trainer.show_this_step()
    path = None
    if trainer.writer.failure is None and trainer.run_dir is not None:
        try:
            path = trainer.save_checkpoint(checked=True)
        except RunDirectoryError as exc:
            trainer.writer.checkpoint_failed(str(exc))
    if trainer.writer.failure is not None:  # ends the run, with a checkpoint tried first
        trainer.pause_on_write_error = False
        yield from write_failed(trainer)
        return
    if path is not None:
        message += f"; checkpoint saved to {path}"
    different = trainer.team.same_everywhere(
        {"G": trainer.generator, "D": trainer.discriminator, "G (EMA)": trainer.gan.generator_ema}
    )
    if different is not None:  # a defect: the processes were meant to stay one run
        trainer.state = "failed"
        trainer.record_writer("failed")
        yield trainer.status(f"{message}; but {different}", "distributed")
        return
    trainer.state = state
    trainer.record_writer(state)
    if trainer.team.joined:
        message += (
            f"; all {trainer.team.world} processes hold the same weights and BatchNorm statistics"
        )
    yield trainer.status(message)


def fail(trainer: Trainer) -> Iterator[Snapshot]:
    """A loss or a weight went beyond bounds: every further update is meaningless."""
    trainer.state = "failed"
    what = trainer.divergence() or "a value went out of bounds"
    kept = (
        f"the last good checkpoint is kept at {trainer.last_checkpoint}"
        if trainer.last_checkpoint
        else "no checkpoint had been saved yet"
    )
    message = (
        f"training diverged by iteration {trainer.step}: {what}; {kept}. "
        "Try lower learning rates (--lr-g, --lr-d) or --precision fp32"
    )
    what_to_try = "Try: lower learning rates, or fp32 precision"
    alert = Alert(NON_FINITE, trainer.step, "Training diverged", message, what_to_try, "error")
    trainer.publisher.record_alert(trainer.run_dir, alert)
    trainer.record_writer("failed")
    yield trainer.status(message, "diverged")


def write_failed(trainer: Trainer) -> Iterator[Snapshot]:
    """A write failed: one checkpoint is tried so that nothing trained is lost, then the run
    pauses (the window: free space, then Resume) or stops (the command line)."""
    failure = trainer.writer.take()
    kept = ""  # a checkpoint that failed says in its own message which one is intact
    if not failure.checkpoint:
        try:
            path = trainer.save_checkpoint()  # rare: a failure may come between checks
            kept = f"; every iteration is kept in the checkpoint {path}" if path else ""
        except RunDirectoryError as exc:
            kept = f"; {exc}"
    fix = "Free space on the disk or fix the run folder's permissions"
    if trainer.pause_on_write_error:
        trainer.state = "paused"
        trainer.record_writer("paused")
        yield trainer.status(f"paused: {failure.message}{kept}. {fix}, then Resume", "write")
    else:
        trainer.state = "failed"
        trainer.record_writer("failed")
        again = f"continue the run (--resume {trainer.run_dir.root})"
        yield trainer.status(f"{failure.message}{kept}. {fix}, then {again}", "write")
