"""``dcgan-studio``: the window with no command; ``train`` and ``sample`` run headless.

Every problem a person can cause (a bad flag value, a missing or damaged file, a checkpoint that
does not fit) ends in one line on stderr, ``dcgan-studio: error: ...``, and exit code 2. Anything
unexpected is logged with its traceback to the log file, whose path the one-line message gives.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shlex
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from dcgan_studio import __version__
from dcgan_studio.config import PRECISIONS, PRESETS, RunConfig
from dcgan_studio.errors import ConfigError, StudioError

PROG = "dcgan-studio"
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
log = logging.getLogger("dcgan_studio")

# config field -> (flag, help); every field of RunConfig is a flag of `train`
FLAGS: dict[str, tuple[str, str]] = {
    "model.image_size": ("--image-size", "image height and width: 16, 28, 32, 56, 64 or 128"),
    "model.channels": ("--channels", "1 for grayscale, 3 for RGB"),
    "model.nz": ("--nz", "length of the latent vector z"),
    "model.ngf": ("--ngf", "width of G (channels of its last hidden layer)"),
    "model.ndf": ("--ndf", "width of D (channels of its first layer)"),
    "model.d_dropout": ("--d-dropout", "dropout after each LeakyReLU in D, 0 for none"),
    "data.dataset": (
        "--dataset",
        "what to train on: digits or shapes (built in, no "
        "download), mnist, fashion-mnist, cifar10, svhn, celeba (from --data-root, "
        "torchvision's layout), or folder:PATH (your own images)",
    ),
    "data.data_root": ("--data-root", "folder of downloaded datasets"),
    "data.memory_limit_mb": (
        "--memory-limit-mb",
        "decoded images kept in memory up to this "
        "many MB; bigger image folders and CelebA are read from disk batch "
        "by batch (default: half the free memory)",
    ),
    "optim.batch_size": ("--batch-size", "images per batch"),
    "optim.lr_g": ("--lr-g", "Adam learning rate of G"),
    "optim.lr_d": ("--lr-d", "Adam learning rate of D"),
    "optim.beta1": ("--beta1", "Adam beta1 (0.5 in the DCGAN paper)"),
    "optim.beta2": ("--beta2", "Adam beta2"),
    "optim.d_steps": ("--d-steps", "D updates per G update"),
    "optim.label_smoothing": ("--label-smoothing", "one-sided: D's target for real is 1 - this"),
    "schedule.iterations": ("--iterations", "G updates in the whole run"),
    "schedule.epochs": ("--epochs", "passes over the data (instead of --iterations)"),
    "schedule.seed": (
        "--seed",
        "random seed of the weights, the noise and the batch order; with "
        "--deterministic, the same seed gives bit-identical runs on the same CPU, "
        "thread count and torch version",
    ),
    "schedule.log_every": ("--log-every", "log losses every N iterations"),
    "schedule.sample_every": ("--sample-every", "save the fixed-noise grid every N iterations"),
    "schedule.checkpoint_every": ("--checkpoint-every", "save a checkpoint every N iterations"),
    "schedule.keep_checkpoints": ("--keep-checkpoints", "newest N checkpoints kept, 0 = all"),
    "schedule.sample_count": ("--sample-count", "tiles in the fixed-noise grid"),
    "runtime.device": ("--device", "auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps"),
    "runtime.precision": ("--precision", "fp32, bf16 or auto (bf16 where it runs natively)"),
    "runtime.deterministic": (
        "--deterministic",
        "bit-identical runs for one --seed on the CPU: "
        "its convolution kernels chosen by a fixed rule, not timed in each "
        "process (a resumed run keeps its kernels and thread count); "
        "--no-deterministic turns it off (default: off)",
    ),
}
# what may change when a run is resumed; the rest would make a different run
RESUMABLE = {
    "data.memory_limit_mb",
    "schedule.iterations",
    "schedule.epochs",
    "schedule.log_every",
    "schedule.sample_every",
    "schedule.checkpoint_every",
    "schedule.keep_checkpoints",
    "runtime.device",
    "runtime.precision",
    "runtime.deterministic",
    "optim.lr_g",
    "optim.lr_d",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr, not a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _field_type(dotted: str) -> Any:
    section, _, name = dotted.partition(".")
    section_type = {f.name: f.default_factory for f in dataclasses.fields(RunConfig)}[section]
    kind = {f.name: f.type for f in dataclasses.fields(section_type)}[name]  # type: ignore[arg-type]
    return int if "int" in str(kind) else float if "float" in str(kind) else str


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Train a DCGAN and watch it learn.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--run",
        type=Path,
        metavar="RUN_DIR",
        help="open the window on a saved run (Start continues it)",
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="PATH",
        help="open the window straight into the latent explorer on a "
        "checkpoint (a run folder, a checkpoint folder or a "
        "generator.safetensors), without training",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    train = sub.add_parser(
        "train",
        help="train a DCGAN headless, with a progress bar",
        description="Train a DCGAN. Ctrl+C saves a checkpoint and exits.",
    )
    train.add_argument(
        "--run-dir",
        type=Path,
        help="folder for this run (default: a new timestamped folder in the user data folder)",
    )
    train.add_argument(
        "--resume",
        type=Path,
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its newest checkpoint",
    )
    train.add_argument("--max-seconds", type=float, help="stop (with a checkpoint) after S s")
    train.add_argument(
        "--no-progress",
        action="store_true",
        help="print a line per log step instead of a progress bar",
    )
    train.add_argument(
        "--download",
        action="store_true",
        help="fetch a torchvision dataset "
        "(mnist, fashion-mnist, cifar10, svhn) into --data-root first, with a "
        "progress bar, if its files are not there yet",
    )
    train.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="starting values of batch "
        "size, widths and Adam's settings: quick (the defaults: batch 32, widths "
        "32, lr 0.0012, fastest to digits on a small CPU) or paper (Radford et "
        "al.: batch 128, widths 64, lr 0.0002); flags given beside it win",
    )
    defaults = RunConfig()
    for dotted, (flag, text) in FLAGS.items():
        default = defaults.value(dotted)
        if isinstance(default, bool):  # --flag / --no-flag
            train.add_argument(
                flag,
                dest=dotted,
                default=argparse.SUPPRESS,
                help=text,
                action=argparse.BooleanOptionalAction,
            )
            continue
        kwargs: dict[str, Any] = {
            "dest": dotted,
            "default": argparse.SUPPRESS,
            "metavar": flag.lstrip("-").upper().replace("-", "_"),
            "help": text if default is None else f"{text} (default: {default})",
        }
        if dotted == "runtime.precision":
            kwargs["choices"] = PRECISIONS
        train.add_argument(flag, type=_field_type(dotted), **kwargs)

    sample = sub.add_parser(
        "sample",
        help="generate images from a checkpoint",
        description="Generate images from a checkpoint's generator.",
    )
    source = sample.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--checkpoint",
        type=Path,
        help="a run folder (its newest checkpoint), a checkpoint folder, or a "
        "generator.safetensors",
    )
    source.add_argument(
        "--from-sidecar",
        type=Path,
        metavar="FILE.json",
        help="make again, exactly, an image, grid, strip or animation the "
        "latent explorer saved, from the JSON sidecar beside it (--n and "
        "--seed do not apply)",
    )
    sample.add_argument("--n", type=int, default=64, help="how many images (default 64)")
    sample.add_argument("--seed", type=int, default=0, help="seed of the latent vectors")
    sample.add_argument(
        "--out",
        type=Path,
        required=True,
        help="OUT.png: one grid; OUT.npz: uint8 array 'images'; a folder: PNGs "
        "(with --from-sidecar: the file kind the sidecar names, .png or .gif)",
    )
    sample.add_argument(
        "--device", default="cpu", help="cpu (default, reproducible), cuda, mps or auto"
    )
    sample.add_argument("--batch-size", type=int, default=256, help="images per forward pass")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = _setup_logging()
    if args.command is None:
        from dcgan_studio.gui.app import run_window

        return run_window(args.run, str(log_file), explore=args.checkpoint)
    try:
        if args.command == "train":
            return _train(args)
        return _sample(args)
    except ConfigError as exc:
        return _fail(_config_message(exc))
    except StudioError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: the user gets one line, the log gets the traceback
        log.exception("unexpected error")
        return _fail(
            f"unexpected {type(exc).__name__}: {exc}. The traceback is in {log_file}; "
            "please report it",
            EXIT_FAILED,
            prefix="internal error",
        )


def _fail(message: str, code: int = EXIT_BAD_INPUT, prefix: str = "error") -> int:
    message = " ".join(message.splitlines())  # one line, whatever a library put in the text
    print(f"{PROG}: {prefix}: {message}", file=sys.stderr)
    return code


def _config_message(exc: ConfigError) -> str:
    flag = FLAGS.get(exc.field, (exc.field, ""))[0]
    return f"{flag} {exc.value} is not allowed: use {exc.allowed}"


def _setup_logging() -> Path:
    folder = os.environ.get("DCGAN_STUDIO_LOG_DIR")
    if folder is None:
        from platformdirs import user_log_path

        folder = str(user_log_path("dcgan-studio", appauthor=False))
    path = Path(folder) / "dcgan-studio.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


# ---- train ----------------------------------------------------------------------------------
def _given(args: argparse.Namespace) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k in FLAGS}


def _train(args: argparse.Namespace) -> int:
    from dcgan_studio.core.launch import resume_run, start_run
    from dcgan_studio.core.runs import RunDirectory, new_run_path

    given = _given(args)
    if "schedule.epochs" in given and "schedule.iterations" not in given:
        given["schedule.iterations"] = None
    if args.max_seconds is not None and not 0 < args.max_seconds < float("inf"):  # nan too
        raise ConfigError("--max-seconds", args.max_seconds, "a finite number of seconds above 0")
    if args.preset is not None:
        if args.resume is not None:
            raise StudioError(
                "--preset chooses a new run's settings: leave it out with "
                "--resume (the run keeps its own)"
            )
        given = {**PRESETS[args.preset], **given}
    if args.resume is not None:
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
    else:
        _settle_dataset(given)
        config = RunConfig().with_values(given).validate()
        if args.download:
            _download(config)
        trainer = start_run(config, args.run_dir or new_run_path())
        run = trainer.run_dir
    print(f"Run folder: {run.root}", file=sys.stderr)
    summary = trainer.dataset.summary()
    print(
        f"Data: {summary.description}: {summary.count:,} images, {summary.storage}", file=sys.stderr
    )
    for line in summary.skipped_lines():
        print(f"  skipped {line}", file=sys.stderr)
    try:
        return _drive(trainer, args)
    finally:  # a streamed file that broke while training: replaced, and the person is told
        for line in trainer.dataset.summary().skipped_lines()[len(summary.skipped) :]:
            print(f"  replaced {line}", file=sys.stderr)


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

    from dcgan_studio.core.snapshots import AlertSnapshot, ScalarSnapshot, StatusSnapshot

    interrupted = []

    def on_sigint(signum: int, frame: Any) -> None:
        if interrupted:  # a second Ctrl+C: stop now; saved checkpoints are whole on disk
            raise KeyboardInterrupt
        interrupted.append(time.monotonic())
        trainer.commands.stop()
        print(
            f"\n{PROG}: stopping after this step and saving a checkpoint "
            "(Ctrl+C again to quit at once)",
            file=sys.stderr,
        )

    previous = signal.signal(signal.SIGINT, on_sigint)
    bar = tqdm(
        total=trainer.total_iterations,
        initial=trainer.step,
        unit="it",
        disable=args.no_progress,
        dynamic_ncols=True,
        file=sys.stderr,
    )
    final: StatusSnapshot | None = None
    said: dict[str, Any] = {}  # the alerts said so far, by kind: each is said once
    try:
        for snap in trainer.run(max_seconds=args.max_seconds):
            if isinstance(snap, ScalarSnapshot):
                bar.update(snap.step - bar.n)
                bar.set_postfix_str(
                    f"loss_D={snap.loss_d:.3f} loss_G={snap.loss_g:.3f} D(x)={snap.d_x:.2f} "
                    f"D(G(z))={snap.d_g_z1:.2f} img/s={snap.images_per_second:.0f}",
                    refresh=False,
                )
                if args.no_progress:
                    print(
                        f"step {snap.step}/{trainer.total_iterations} loss_D={snap.loss_d:.4f} "
                        f"loss_G={snap.loss_g:.4f} D(x)={snap.d_x:.3f} "
                        f"D(G(z))={snap.d_g_z1:.3f}/{snap.d_g_z2:.3f} "
                        f"img/s={snap.images_per_second:.0f}",
                        file=sys.stderr,
                    )
            elif isinstance(snap, AlertSnapshot) and snap.raised is not None:
                if snap.raised.kind not in said:
                    said[snap.raised.kind] = snap.raised
                    bar.write(_alert_line(snap), file=sys.stderr)
            elif isinstance(snap, StatusSnapshot):
                final = snap
                if snap.state == "running" and snap.step == trainer.step:
                    bar.write(f"{PROG}: {snap.message}", file=sys.stderr)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    if final is None or final.state == "failed":
        message = final.message if final else "training ended without a status"
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return EXIT_FAILED
    root = trainer.run_dir.root
    if said:
        print(
            f"{PROG}: {len(said)} warning{'s' if len(said) > 1 else ''} while training: "
            f"{'; '.join(a.title for a in said.values())} (all in {root / 'alerts.jsonl'})",
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


# ---- sample ---------------------------------------------------------------------------------
def _sample(args: argparse.Namespace) -> int:
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
    generator = load_generator(checkpoint, device)
    z = latent_vectors(args.n, checkpoint.config.model.nz, args.seed)
    images = generate(generator, z, args.batch_size)
    written = save_images(images, args.out)
    print(
        f"{PROG}: wrote {written} from {checkpoint.path} (iteration {checkpoint.step}, "
        f"seed {args.seed})",
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
