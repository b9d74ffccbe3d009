"""The command line's words: the flags of ``dcgan-studio``, of ``train`` (every field of
``RunConfig`` is one) and of ``sample``, the parser that reads them, and the exit codes."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from dcgan_studio import __version__
from dcgan_studio.config import PRECISIONS, PRESETS, RunConfig

# what `export --format` writes (core.generator_export.FORMATS: not imported, it loads torch)
EXPORT_FORMATS = ("onnx", "torchscript", "safetensors")

PROG = "dcgan-studio"
EXIT_BAD_INPUT = 2  # a value, file or folder the person can fix: one line on stderr
EXIT_FAILED = 1  # training failed, or a bug (its traceback is in the log file)

# what each field of RunConfig means, as `train --help` says it; every field is a flag of `train`
HELP: dict[str, str] = {
    "model.image_size": "image height and width: 16, 28, 32, 56, 64 or 128",
    "model.channels": "1 for grayscale, 3 for RGB",
    "model.nz": "length of the latent vector z",
    "model.ngf": "width of G (channels of its last hidden layer)",
    "model.ndf": "width of D (channels of its first layer)",
    "model.d_dropout": "dropout after each LeakyReLU in D, 0 for none",
    "data.dataset": (
        "what to train on: digits or shapes (built in, no download), mnist, fashion-mnist, "
        "cifar10, svhn, celeba (from --data-root, torchvision's layout), or folder:PATH "
        "(your own images)"
    ),
    "data.data_root": "folder of downloaded datasets",
    "data.memory_limit_mb": (
        "decoded images kept in memory up to this many MB; bigger image folders and CelebA are "
        "read from disk batch by batch (default: half the free memory)"
    ),
    "optim.batch_size": "images per batch",
    "optim.lr_g": "Adam learning rate of G",
    "optim.lr_d": "Adam learning rate of D",
    "optim.beta1": "Adam beta1 (0.5 in the DCGAN paper)",
    "optim.beta2": "Adam beta2",
    "optim.d_steps": "D updates per G update",
    "optim.label_smoothing": "one-sided: D's target for real is 1 - this",
    "optim.ema_decay": (
        "G (EMA) averages G's weights over its last updates, each weighing 1 - this; the window "
        "and `sample --ema` draw with it; 0 makes it G itself"
    ),
    "schedule.iterations": "G updates in the whole run",
    "schedule.epochs": "passes over the data (instead of --iterations)",
    "schedule.seed": (
        "random seed of the weights, the noise and the batch order; with --deterministic, the "
        "same seed gives bit-identical runs on the same CPU, thread count and torch version"
    ),
    "schedule.log_every": "log losses every N iterations",
    "schedule.sample_every": "save the fixed-noise grid every N iterations",
    "schedule.checkpoint_every": "save a checkpoint every N iterations",
    "schedule.keep_checkpoints": "newest N checkpoints kept, 0 = all",
    "schedule.sample_count": "tiles in the fixed-noise grid",
    "runtime.device": "auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps",
    "runtime.precision": "fp32, bf16 or auto (bf16 where it runs natively)",
    "runtime.deterministic": (
        "bit-identical runs for one --seed on the CPU: its convolution kernels chosen by a fixed "
        "rule, not timed in each process (a resumed run keeps its kernels and thread count); "
        "--no-deterministic turns it off (default: off)"
    ),
    "runtime.tensorboard": (
        "also write TensorBoard event files (losses, D outputs, gradient norms, quality scores, "
        "the sample grid) into RUN/tensorboard, for tensorboard --logdir (needs pip install "
        "'dcgan-studio[tensorboard]'); --no-tensorboard turns it off (default: off)"
    ),
}

# the flag of a field is its name: model.image_size -> --image-size
FLAGS: dict[str, tuple[str, str]] = {
    dotted: ("--" + dotted.partition(".")[2].replace("_", "-"), text)
    for dotted, text in HELP.items()
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
    "runtime.tensorboard",
    "optim.lr_g",
    "optim.lr_d",
    "optim.ema_decay",
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr, not a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


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
        "--follow",
        type=Path,
        metavar="RUN_DIR",
        help="open the window on a run that another process writes (dcgan-studio train, "
        "torchrun, another machine through a shared folder) and show what it saves as it "
        "lands; read-only",
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
    _add_train(sub)
    _add_sample(sub)
    _add_score(sub)
    _add_runs(sub)
    _add_export(sub)
    _add_install_desktop(sub)
    return parser


def _add_train(sub: Any) -> None:
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
    train.add_argument(
        "--branch-from",
        type=Path,
        metavar="RUN_DIR",
        help="start a new run (a branch) from a checkpoint of the run in RUN_DIR, with the "
        "settings given here changed (learning rates, betas, --d-steps, --d-dropout, "
        "--batch-size, --iterations...); the parent run is only read",
    )
    train.add_argument(
        "--at-step",
        type=int,
        metavar="N",
        help="with --branch-from: the checkpoint of iteration N (default: the newest)",
    )
    train.add_argument(
        "--label", help="a name for the run in the runs library (the folder keeps its name)"
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
    _add_config_flags(train)


def _add_config_flags(train: argparse.ArgumentParser) -> None:
    """A flag for every field of ``RunConfig``; one not given leaves the config's value."""
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


def _field_type(dotted: str) -> Any:
    section, _, name = dotted.partition(".")
    section_type = {f.name: f.default_factory for f in dataclasses.fields(RunConfig)}[section]
    kind = {f.name: f.type for f in dataclasses.fields(section_type)}[name]  # type: ignore[arg-type]
    return int if "int" in str(kind) else float if "float" in str(kind) else str


def _add_sample(sub: Any) -> None:
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
    sample.add_argument(
        "--ema",
        action="store_true",
        help="draw with G (EMA), G's weights averaged over its last updates (--ema-decay of "
        "train), where the checkpoint has it",
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


def _add_score(sub: Any) -> None:
    score = sub.add_parser(
        "score",
        help="score the samples of a run's checkpoint (KID, FD, digits drawn)",
        description="Score G's samples against held-out real images: KID (with its std over "
        "subsets) and the Frechet distance in a feature space that needs no download, and for "
        "digit data the digits drawn. The numbers compare runs of the studio; only the "
        "inception space comes close to published FID.",
    )
    _add_checkpoint_choice(score)
    score.add_argument("--n", type=int, default=2000, help="samples to score (default 2000)")
    score.add_argument(
        "--features",
        default="auto",
        help="auto (default: digits for digit data, inception where its weights are at hand, "
        "random otherwise), digits, inception or random",
    )
    score.add_argument("--ema", action="store_true", help="score G (EMA) instead of G")
    score.add_argument(
        "--save",
        action="store_true",
        help="also keep the score in the run's quality.jsonl (replacing one of the same "
        "iteration, generator and feature space), where the Quality tab, the runs library and "
        "Compare show it",
    )
    score.add_argument(
        "--json", action="store_true", help="print only a JSON object of the scores on stdout"
    )


def _add_runs(sub: Any) -> None:
    runs = sub.add_parser(
        "runs",
        help="list the runs in the runs folder (and others), or the settings two runs differ in",
        description="The runs library on the command line: a line per run (name, data, size, "
        "iterations, start, training time, last KID, parent if it is a branch, whether "
        "something trains in it now), newest first.",
    )
    runs.add_argument(
        "folders",
        type=Path,
        nargs="*",
        metavar="FOLDER",
        help="folders of runs, or runs (default: the runs folder in the user data folder)",
    )
    runs.add_argument(
        "--diff",
        type=Path,
        nargs=2,
        metavar=("RUN_A", "RUN_B"),
        help="only the settings in which two runs differ",
    )


def _add_checkpoint_choice(command: argparse.ArgumentParser) -> None:
    """RUN and --step: which checkpoint ``score`` and ``export`` read."""
    command.add_argument("run", type=Path, metavar="RUN", help="a run folder or a checkpoint")
    command.add_argument(
        "--step", type=int, help="the checkpoint of this iteration (default: the newest)"
    )


def _add_export(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="export a run's generator as ONNX, TorchScript or safetensors",
        description="Write G of a checkpoint in a form other tools read, with a JSON sidecar "
        "(shapes, opset, the run's config and step). The input is the latent vectors z "
        "(batch, nz, 1, 1), the output images in [-1, 1]; ONNX needs the optional extra "
        "(pip install 'dcgan-studio[export]').",
    )
    _add_checkpoint_choice(export)
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="the file's format (default: from --out's suffix: .onnx, .pt, .safetensors)",
    )
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument("--ema", action="store_true", help="export G (EMA) instead of G")


def _add_install_desktop(sub: Any) -> None:
    desktop = sub.add_parser(
        "install-desktop",
        help="list DCGAN Studio in the applications menu (a desktop entry and icons)",
        description="Put DCGAN Studio's desktop entry and icons into your XDG data folder "
        "($XDG_DATA_HOME, or ~/.local/share): applications/ and icons/hicolor/, the entry "
        "starting the dcgan-studio that runs this command. Nothing outside that folder is "
        "touched; no root needed.",
    )
    desktop.add_argument(
        "--uninstall",
        action="store_true",
        help="take the desktop entry and the icons away again",
    )
