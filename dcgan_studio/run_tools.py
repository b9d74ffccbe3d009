"""The commands beside ``train``, each a front end of the core: ``sample`` (images from a
checkpoint, or remade from an explorer's sidecar), ``score`` (the quality of its samples),
``runs`` (the runs library), ``export`` (G in ONNX, TorchScript or safetensors) and
``install-desktop``. A problem a person can fix is raised as a ``StudioError``; ``cli.main``
says it in one line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dcgan_studio.arguments import FLAGS, PROG
from dcgan_studio.errors import ConfigError, StudioError


# ---- sample ---------------------------------------------------------------------------------
def sample(args: argparse.Namespace) -> int:
    from dcgan_studio.core.devices import resolve_device
    from dcgan_studio.core.export import output_kind, save_images
    from dcgan_studio.core.runs import open_checkpoint
    from dcgan_studio.core.sampling import generate, latent_vectors, load_generator

    if args.from_sidecar is not None:
        return _reproduce(args)
    if not 1 <= args.n <= 1_000_000:
        raise ConfigError("--n", args.n, "a whole number from 1 to 1000000")
    if not 1 <= args.batch_size <= 65536:
        raise ConfigError("--batch-size", args.batch_size, "a whole number from 1 to 65536")
    if not 0 <= args.seed <= 2**63 - 1:  # torch's seeds are 64-bit
        raise ConfigError("--seed", args.seed, f"a whole number from 0 to {2**63 - 1}")
    output_kind(args.out)  # refuse an unknown kind before any work
    device = resolve_device(args.device)  # and a device that is not there
    checkpoint = open_checkpoint(args.checkpoint)
    generator = load_generator(checkpoint, device, ema=args.ema)
    z = latent_vectors(args.n, checkpoint.config.model.nz, args.seed)
    images = generate(generator, z, args.batch_size)
    written = save_images(images, args.out)
    print(
        f"{PROG}: wrote {written} from {checkpoint.path} ({'G (EMA), ' * args.ema}iteration "
        f"{checkpoint.step}, seed {args.seed})",
        file=sys.stderr,
    )
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from dcgan_studio.core.recipes import reproduce

    out, data = reproduce(args.from_sidecar, args.out)
    print(
        f"{PROG}: made {out} again from {args.from_sidecar} ({data['kind']}, "
        f"{len(data['z'])} vector(s), weights {data['weights']}, iteration {data['step']})",
        file=sys.stderr,
    )
    return 0


# ---- score ----------------------------------------------------------------------------------
def score(args: argparse.Namespace) -> int:
    import json

    import torch

    from dcgan_studio.core.quality.scorer import QualityScorer
    from dcgan_studio.core.sampling import load_generator

    if not 10 <= args.n <= 100_000:
        raise ConfigError("--n", args.n, "a whole number from 10 to 100000")
    checkpoint = _chosen_checkpoint(args)
    generator = load_generator(checkpoint, torch.device("cpu"), ema=args.ema)
    scorer = QualityScorer(checkpoint.config, args.features, args.n)
    result = scorer.score_generator(generator, checkpoint.step, "G (EMA)" if args.ema else "G")
    if args.save:
        _save_score(checkpoint, result.record())
    if args.json:
        record = {  # the line quality.jsonl holds, and where it came from
            **result.record(),
            "feature_space_label": scorer.label,
            "checkpoint": str(checkpoint.path),
        }
        print(json.dumps(record))
    else:
        print(f"{result.line()} [{scorer.label}]")
    return 0


def _save_score(checkpoint: Any, record: dict) -> None:
    """The score into the run's quality.jsonl, in step order, in place of an older score of
    the same step, generator and feature space."""
    from dcgan_studio.core.runs import RunDirectory

    folder = checkpoint.path.parent.parent if checkpoint.path.is_dir() else None
    if folder is None or not (folder / "config.json").is_file():
        raise StudioError(
            f"{checkpoint.path} is not a checkpoint inside a run folder: --save keeps scores "
            "in a run's quality.jsonl; leave it out"
        )
    RunDirectory(folder).put_quality(record)
    from dcgan_studio.core.tensorboard_log import add_score

    problem = add_score(RunDirectory(folder), record)
    if problem is not None:
        print(f"{PROG}: the score is kept, but {problem}", file=sys.stderr)
    print(f"{PROG}: kept in {folder / 'quality.jsonl'}", file=sys.stderr)


def _chosen_checkpoint(args: argparse.Namespace) -> Any:
    """RUN and --step of ``score`` and ``export``: that iteration's checkpoint, else the
    newest (or the checkpoint or generator file RUN names)."""
    from dcgan_studio.core.runs import open_checkpoint

    if args.step is None:
        return open_checkpoint(args.run)
    return open_checkpoint(_checkpoint_of_step(Path(args.run), args.step))


def _checkpoint_of_step(run: Path, step: int) -> Path:
    from dcgan_studio.core.runs import RunDirectory

    return RunDirectory(run).checkpoint_of(step, otherwise=", or leave out --step for the newest")


# ---- runs -----------------------------------------------------------------------------------
def runs(args: argparse.Namespace) -> int:
    from dcgan_studio.core.library import config_diff, scan, summarise
    from dcgan_studio.core.runs import RunDirectory, default_runs_root

    if args.diff is not None:
        a, b = (summarise(RunDirectory.open(path).root) for path in args.diff)
        for s in (a, b):
            if s.config is None:
                raise StudioError(s.problem)
        rows = config_diff(a.config, b.config)
        if not rows:
            print(f"{a.title} and {b.title} have the same settings")
            return 0
        print(f"{'SETTING':<20} {a.title[:20]:>20}  {b.title[:20]:<20}")
        for name, x, y in rows:
            print(f"{FLAGS.get(name, (name,))[0]:<20} {x!s:>20}  {y!s:<20}")
        return 0
    missing = [f for f in args.folders if not f.is_dir()]
    if missing:
        raise StudioError(f"{missing[0]} is not a folder: give a folder of runs, or a run")
    folders = args.folders or [default_runs_root()]
    found = scan(folders)
    if not found:
        print(f"{PROG}: no runs in {', '.join(str(f) for f in folders)}", file=sys.stderr)
        return 0
    print(
        f"{'RUN':<24} {'DATA':<8} {'SIZE':>5} {'ITERATIONS':>13} {'STARTED':<16} "
        f"{'TRAINED':>9} {'KID':>7}  PARENT / STATE"
    )
    for s in found:
        size = f"{s.image_size}" if s.image_size else "?"
        steps = f"{s.step:,}" + (f"/{s.total:,}" if s.total else "")
        started = s.started.strftime("%Y-%m-%d %H:%M") if s.started else "?"
        kid = f"{s.kid:.3f}" if s.kid is not None else "-"
        extra = []
        if s.parent is not None:
            gone = "" if s.parent.is_dir() else ", deleted"
            extra.append(f"branch of {s.parent.name} at {s.parent_step:,}{gone}")
        if s.live:
            extra.append(f"training now ({s.live})")
        if s.problem:
            extra.append(f"damaged: {s.problem}")
        print(
            f"{s.title[:24]:<24} {s.dataset[:8]:<8} {size:>5} {steps:>13} {started:<16} "
            f"{_seconds(s.seconds):>9} {kid:>7}  {'; '.join(extra)}"
        )
    return 0


def _seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 3600:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


# ---- export ---------------------------------------------------------------------------------
def export(args: argparse.Namespace) -> int:
    from dcgan_studio.core.generator_export import check_tools, export_generator, format_of

    fmt = format_of(args.out, args.format)
    check_tools(fmt)  # before reading anything: say which extra to install
    checkpoint = _chosen_checkpoint(args)
    sidecar = export_generator(checkpoint, fmt, args.out, ema=args.ema)
    print(
        f"{PROG}: wrote {args.out} ({fmt}, {'G (EMA)' if args.ema else 'G'} of iteration "
        f"{checkpoint.step}) and {sidecar}",
        file=sys.stderr,
    )
    return 0


# ---- install-desktop ------------------------------------------------------------------------
def install_desktop(args: argparse.Namespace) -> int:
    from dcgan_studio import desktop

    done = desktop.uninstall() if args.uninstall else desktop.install()
    print(f"{PROG}: {done}", file=sys.stderr)
    return 0
