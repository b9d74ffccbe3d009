"""``dcgan-studio train``, without a window: a run trained in the terminal with a progress bar
(Ctrl+C stops it at the next step, with a checkpoint). A problem a person can fix is raised as a
``StudioError``; ``cli.main`` says it in one line. Under torchrun, ``train`` runs in every
process: rank 0 starts or resumes the run and writes it; the others follow it
(core.distributed). The other commands are ``run_tools``'."""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from dcgan_studio.arguments import EXIT_FAILED, FLAGS, PROG, RESUMABLE
from dcgan_studio.config import PRESETS, RunConfig
from dcgan_studio.errors import ConfigError, StudioError


# ---- train ----------------------------------------------------------------------------------
def train(args: argparse.Namespace) -> int:
    given = {k: v for k, v in vars(args).items() if k in FLAGS}
    if "schedule.epochs" in given and "schedule.iterations" not in given:
        given["schedule.iterations"] = None
    if args.max_seconds is not None and not 0 < args.max_seconds < float("inf"):  # nan too
        raise ConfigError("--max-seconds", args.max_seconds, "a finite number of seconds above 0")
    if args.at_step is not None and args.branch_from is None:
        raise StudioError("--at-step chooses the checkpoint of --branch-from: give both")
    if args.branch_from is not None and args.resume is not None:
        raise StudioError(
            "--branch-from starts a new run and --resume continues one: give one of them"
        )
    if args.preset is not None:
        if args.resume is not None or args.branch_from is not None:
            raise StudioError(
                "--preset chooses a new run's settings: leave it out with "
                "--resume or --branch-from (the run keeps its own)"
            )
        given = {**PRESETS[args.preset], **given}
    from dcgan_studio.core import distributed

    team = distributed.join()  # under torchrun: every process of the run, together
    try:
        return _train(args, given, team)
    except RuntimeError as exc:  # a collective failed: another process ended, or never came
        if not team.joined:
            raise
        if distributed.lost_the_others(exc):
            raise StudioError(
                f"lost the other processes of the run ({distributed.failure_words(exc)}): one "
                "of them ended, and its message says why; the run folder keeps its last "
                "checkpoint"
            ) from exc
        if distributed.timed_out(exc):
            raise StudioError(
                f"waited {distributed.TIMEOUT.total_seconds() / 60:g} minutes for the other "
                f"processes of the run ({distributed.failure_words(exc)}): one of them is "
                "stuck or far slower; the run folder keeps its last checkpoint"
            ) from exc
        raise
    finally:
        team.leave()


def _train(args: argparse.Namespace, given: dict[str, Any], team: Any) -> int:
    if not team.leader:  # rank 0 starts or resumes the run and says what it does
        from dcgan_studio.core.launch import follow_leader

        return _drive(follow_leader(), args)
    try:
        if args.branch_from is not None:
            trainer = _branch(args, given)
        elif args.resume is not None:
            trainer = _resume(args, given)
        else:
            trainer = _start(args, given)
        if args.label and args.branch_from is None:
            trainer.run_dir.write_label(args.label)
    except StudioError as exc:  # the other processes wait for the run: they are told
        from dcgan_studio.cli import config_message

        team.refuse(config_message(exc) if isinstance(exc, ConfigError) else str(exc))
        raise
    team.go()
    print(f"Run folder: {trainer.run_dir.root}", file=sys.stderr)
    if trainer.config.runtime.tensorboard:  # the runs folder: this run beside the others
        print(
            f"TensorBoard: events in {trainer.run_dir.root / 'tensorboard'}; watch them with "
            f"tensorboard --logdir {shlex.quote(str(trainer.run_dir.root.parent))}",
            file=sys.stderr,
        )
    summary = trainer.dataset.summary()
    print(
        f"Data: {summary.description}: {summary.count:,} images, {summary.storage}", file=sys.stderr
    )
    for line in summary.skipped_lines():
        print(f"  skipped {line}", file=sys.stderr)
    if team.joined:
        _say_team(trainer, team)
    try:
        return _drive(trainer, args)
    finally:  # a streamed file that broke while training: replaced, and the person is told
        for line in trainer.dataset.summary().skipped_lines()[len(summary.skipped) :]:
            print(f"  replaced {line}", file=sys.stderr)


def _say_team(trainer: Any, team: Any) -> None:
    """How the run is spread, and its global batch (also kept in the run's writer.json)."""
    before = trainer.run_dir.read_writer()
    origin = trainer.run_dir.read_branch()
    if before is None and origin is not None:  # a new branch: its parent trained until now
        from dcgan_studio.core.runs import RunDirectory

        before = RunDirectory(origin["parent"]).read_writer()
    before = before or {}
    batch = trainer.config.optim.batch_size
    print(
        f"Distributed: {team.describe()}, batch {batch} per process, global batch "
        f"{trainer.global_batch}",
        file=sys.stderr,
    )
    was = before.get("global_batch")
    if trainer.step > 0 and isinstance(was, int) and was != trainer.global_batch:
        print(
            f"  until iteration {trainer.step} this run trained with a global batch of {was} "
            f"({before.get('processes', '?')} process(es)): from now on {trainer.global_batch}",
            file=sys.stderr,
        )


def _start(args: argparse.Namespace, given: dict[str, Any]) -> Any:
    from dcgan_studio.core import distributed
    from dcgan_studio.core.launch import start_run
    from dcgan_studio.core.runs import new_run_path

    _settle_dataset(given)
    config = RunConfig().with_values(given).validate()
    if args.download:
        if distributed.team().joined:  # the others would wait for it, and time out
            raise StudioError(
                "--download under torchrun: fetch the data first, in one process "
                f"({PROG} train --dataset {config.data.dataset} --data-root "
                f"{config.data.data_root or 'D'} --download --iterations 1), then start "
                "torchrun without --download"
            )
        _download(config)
    trainer = start_run(config, args.run_dir or new_run_path())
    trainer.writer_name = _writer_name()
    return trainer


def _writer_name() -> str:
    """Who trains, as writer.json says it to a window that follows the run."""
    from dcgan_studio.core import distributed

    team = distributed.team()
    if team.joined:
        return f"torchrun, {team.describe()}"
    return f"{PROG} train"


def _branch(args: argparse.Namespace, given: dict[str, Any]) -> Any:
    from dcgan_studio.core.branching import start_branch
    from dcgan_studio.core.runs import new_run_path

    if args.at_step is not None and args.at_step < 0:
        raise ConfigError(
            "--at-step", args.at_step, "the iteration of one of the run's checkpoints"
        )
    trainer = start_branch(
        args.branch_from,
        args.at_step,
        given,
        args.run_dir or new_run_path(),
        label=args.label or "",
        how_to_extend="give --iterations above the step it starts from",
    )
    trainer.writer_name = _writer_name()
    origin = trainer.run_dir.read_branch() or {}
    changed = ", ".join(
        f"{FLAGS[name][0]} {old} -> {new}"
        for name, (old, new) in origin.get("changed", {}).items()
        if name in FLAGS
    )
    print(
        f"Branch of {args.branch_from} at iteration {trainer.step}: "
        f"{changed or 'no setting changed (it repeats its parent)'}",
        file=sys.stderr,
    )
    return trainer


def _resume(args: argparse.Namespace, given: dict[str, Any]) -> Any:
    from dcgan_studio.core.launch import resume_run
    from dcgan_studio.core.runs import RunDirectory

    if args.run_dir is not None and args.run_dir.resolve() != args.resume.resolve():
        raise StudioError("--resume continues a run in its own folder: leave out --run-dir")
    run = RunDirectory.open(args.resume)
    fixed = sorted(FLAGS[k][0] for k in given if k not in RESUMABLE)
    if fixed:
        raise StudioError(
            f"{', '.join(fixed)} cannot change when resuming (the networks "
            f"and data would differ): start a new run with another --run-dir"
        )
    if "schedule.iterations" in given and "schedule.epochs" not in given:
        given["schedule.epochs"] = None  # a resumed epoch-based run given --iterations
    config = run.read_config().with_values(given).validate()
    trainer = resume_run(config, run, how_to_extend="resume with a larger --iterations")
    trainer.writer_name = _writer_name()
    return trainer


def _settle_dataset(given: dict[str, Any]) -> None:
    """A folder becomes an absolute path (the run may be resumed from elsewhere); a colour
    dataset trains in colour unless --channels says otherwise."""
    from dcgan_studio.core.data import is_folder_dataset, natural_channels

    name = given.get("data.dataset")
    if not name:
        return
    if is_folder_dataset(name):
        path = name.partition(":")[2]
        if path.strip():  # not "": that would resolve to the current folder (the loader says so)
            given["data.dataset"] = "folder:" + str(Path(path).expanduser().resolve())
    elif "model.channels" not in given and natural_channels(name):
        given["model.channels"] = natural_channels(name)


def _download(config: RunConfig) -> None:
    from tqdm import tqdm

    from dcgan_studio.core.data import data_root
    from dcgan_studio.core.data.torchvision_sets import download_dataset

    with tqdm(
        desc=f"downloading {config.data.dataset}",
        unit="B",
        unit_scale=True,
        file=sys.stderr,
        leave=False,
    ) as bar:

        def progress(done: int, total: int) -> None:
            if done < bar.n:  # the next file
                bar.reset()
            bar.total = total or None
            bar.update(done - bar.n)

        folder = download_dataset(config.data.dataset, data_root(config), progress)
    print(f"{PROG}: {config.data.dataset} is in {folder}", file=sys.stderr)


def _drive(trainer: Any, args: argparse.Namespace) -> int:
    """Run the trainer with a progress bar; Ctrl+C asks it to stop at the next step boundary."""
    from tqdm import tqdm

    previous = signal.signal(signal.SIGINT, _stop_on_interrupt(trainer))
    bar = tqdm(
        total=trainer.total_iterations,
        initial=trainer.step,
        unit="it",
        disable=args.no_progress or not trainer.team.leader,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    progress = _Progress(trainer, bar, lines=args.no_progress and trainer.team.leader)
    try:
        for snap in trainer.run(max_seconds=args.max_seconds):
            progress.show(snap)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    return progress.close(trainer.run_dir.root if trainer.run_dir else None)


# under torchrun a Ctrl+C reaches each process twice: from the terminal, and relayed by torchrun
RELAYED_SIGINT_SECONDS = 3.0


def _stop_on_interrupt(trainer: Any) -> Any:
    """The SIGINT handler of a run: the first Ctrl+C stops it at the next step boundary, with
    a checkpoint; a second stops at once (saved checkpoints are whole on disk)."""
    interrupted: list[float] = []

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted:
            relayed = time.monotonic() - interrupted[0] < RELAYED_SIGINT_SECONDS
            if trainer.team.joined and relayed:
                return
            raise KeyboardInterrupt
        interrupted.append(time.monotonic())
        trainer.commands.stop()
        if not trainer.team.leader:
            return
        print(
            f"\n{PROG}: stopping after this step and saving a checkpoint "
            "(Ctrl+C again to quit at once)",
            file=sys.stderr,
        )

    return on_sigint


class _Progress:
    """What the terminal shows of a run: the bar (and, with ``lines``, a line per logged step),
    each kind of alert once, the run's news; and, at the end, how it went."""

    def __init__(self, trainer: Any, bar: Any, lines: bool) -> None:
        self._trainer, self._bar, self._lines = trainer, bar, lines
        self.final: Any = None  # the last StatusSnapshot
        self.said: dict[str, Any] = {}  # the alerts said so far, by kind: each is said once

    def show(self, snap: Any) -> None:
        from dcgan_studio.core.snapshots import AlertSnapshot, ScalarSnapshot, StatusSnapshot

        if isinstance(snap, ScalarSnapshot):
            self._scalars(snap)
        elif isinstance(snap, AlertSnapshot) and snap.raised is not None:
            if snap.raised.kind not in self.said and self._trainer.team.leader:
                self.said[snap.raised.kind] = snap.raised
                self._bar.write(_alert_line(snap), file=sys.stderr)
        elif isinstance(snap, StatusSnapshot):
            self.final = snap
            leader = self._trainer.team.leader
            if snap.state == "running" and snap.step == self._trainer.step and leader:
                self._bar.write(f"{PROG}: {snap.message}", file=sys.stderr)

    def _scalars(self, snap: Any) -> None:
        self._bar.update(snap.step - self._bar.n)
        self._bar.set_postfix_str(
            f"loss_D={snap.loss_d:.3f} loss_G={snap.loss_g:.3f} D(x)={snap.d_x:.2f} "
            f"D(G(z))={snap.d_g_z1:.2f} img/s={snap.images_per_second:.0f}",
            refresh=False,
        )
        if self._lines:
            print(
                f"step {snap.step}/{self._trainer.total_iterations} loss_D={snap.loss_d:.4f} "
                f"loss_G={snap.loss_g:.4f} D(x)={snap.d_x:.3f} "
                f"D(G(z))={snap.d_g_z1:.3f}/{snap.d_g_z2:.3f} "
                f"img/s={snap.images_per_second:.0f}",
                file=sys.stderr,
            )

    def close(self, root: Path | None) -> int:
        """How the run ended, with the warnings it had and how to sample from it; the exit
        code."""
        final = self.final
        team = self._trainer.team
        if final is None or final.state == "failed":
            message = final.message if final else "training ended without a status"
            rank = f"process {team.rank} of {team.world}: " * team.joined
            from dcgan_studio.cli import say_line

            say_line(f"{PROG}: error: {rank}{message}")
            return EXIT_FAILED
        if not team.leader:  # rank 0 says how the run went
            return 0
        if self.said:
            count, titles = len(self.said), "; ".join(a.title for a in self.said.values())
            print(
                f"{PROG}: {count} warning{'s' if count > 1 else ''} while training: "
                f"{titles} (all in {root / 'alerts.jsonl'})",
                file=sys.stderr,
            )
        print(
            f"{PROG}: {final.message}\nSample from it: {command_name()} sample --checkpoint "
            f"{shlex.quote(str(root))} --n 64 --out samples.png",
            file=sys.stderr,
        )
        return 0


def _alert_line(snap: Any) -> str:
    """An alert of the window's banner as one line: what, why, what to try, what is kept."""
    alert, kept = snap.raised, snap.checkpoint_before
    keep = f" The checkpoint of step {kept}, from before it, is kept." if kept is not None else ""
    return (
        f"{PROG}: {alert.severity} at step {alert.step}: {alert.title}. {alert.message} "
        f"{alert.what_to_try}{keep}"
    )


def command_name() -> str:
    """How this person can start the command again from here: ``dcgan-studio`` where that
    name finds this very program on the PATH; else the path it was started by (such as
    ``.venv/bin/dcgan-studio``), or ``python -m dcgan_studio`` with this interpreter."""
    started = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if started is None or started.name in ("__main__.py", "-c"):
        return f"{shlex.quote(_shown_path(sys.executable))} -m dcgan_studio"
    found = shutil.which(PROG)
    if found is not None and started.exists() and Path(found).resolve() == started.resolve():
        return PROG
    return shlex.quote(_shown_path(str(started)))


def _shown_path(path: str) -> str:
    """``path`` relative to the current folder when it lies under it, else as it is."""
    absolute = Path(path).absolute()
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return str(absolute)
    return str(relative) if len(relative.parts) > 1 else f"./{relative}"  # ./x, not a PATH name
