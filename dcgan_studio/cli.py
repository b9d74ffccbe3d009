"""``dcgan-studio``: the window with no command; ``train``, ``sample``, ``score``, ``runs`` and
``export`` run headless, and ``install-desktop`` lists the window in the applications menu.

Every problem a person can cause (a bad flag value, a missing or damaged file, a checkpoint that
does not fit) ends in one line on stderr, ``dcgan-studio: error: ...``, and exit code 2. Anything
unexpected is logged with its traceback to the log file, whose path the one-line message gives.
The flags are in ``dcgan_studio.arguments``, ``train`` in ``dcgan_studio.headless`` and the
other commands in ``dcgan_studio.run_tools``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from dcgan_studio.arguments import EXIT_BAD_INPUT, EXIT_FAILED, FLAGS, PROG, build_parser
from dcgan_studio.errors import ConfigError, StudioError

__all__ = ["FLAGS", "build_parser", "main"]

log = logging.getLogger("dcgan_studio")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = _setup_logging()
    if args.command is None:
        if args.follow is not None:
            if args.run is not None:
                return _fail("--run and --follow both open a run: give one of them")
            problem = not_a_run(args.follow)
            if problem is not None:
                return _fail(problem)
        from dcgan_studio.gui.app import run_window

        return run_window(args.run, str(log_file), explore=args.checkpoint, follow=args.follow)
    code = _command(args, log_file)
    if args.command == "train" and _process():
        _end_now(code)
    return code


def _command(args, log_file: Path) -> int:
    try:
        from dcgan_studio import headless, run_tools

        command = {
            "train": headless.train,
            "sample": run_tools.sample,
            "score": run_tools.score,
            "runs": run_tools.runs,
            "export": run_tools.export,
            "install-desktop": run_tools.install_desktop,
        }
        return command[args.command](args)
    except ConfigError as exc:
        return _fail(config_message(exc))
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


def not_a_run(folder: Path) -> str | None:
    """Why ``folder`` cannot be followed, before the window (and torch) load; None when it
    holds a run. The window says the same of a folder chosen in File > Follow Run."""
    if not folder.is_dir():
        return f"{folder} is not a folder: give the run folder that was passed as --run-dir"
    if not (folder / "config.json").is_file():
        return (
            f"{folder} is not a DCGAN Studio run (no config.json): give the folder that was "
            "passed as --run-dir"
        )
    return None


def say_line(line: str) -> None:
    """One whole line on stderr in one write: the processes of a torchrun run share the
    terminal, and print()'s separate write of the newline lets their lines run together."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _end_now(code: int) -> None:
    """A process under torchrun ends here, once its process group is destroyed: the
    interpreter's own exit can still meet gloo's threads and abort the process after a run
    that went well (1 launch in 16 on a 2-core EPYC; pytorch/pytorch#179291), which torchrun
    would report as the run's failure."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _fail(message: str, code: int = EXIT_BAD_INPUT, prefix: str = "error") -> int:
    message = " ".join(message.splitlines())  # one line, whatever a library put in the text
    say_line(f"{PROG}: {prefix}: {_process()}{message}")
    return code


def config_message(exc: ConfigError) -> str:
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
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s %(levelname)s %(name)s: {_process()}%(message)s")
    )
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def _process() -> str:
    """Under torchrun, which process speaks ("process 1 of 2: "), since each says its own
    failures; "" otherwise."""
    rank, world = os.environ.get("RANK"), os.environ.get("WORLD_SIZE")
    if rank is None or world is None or "TORCHELASTIC_RUN_ID" not in os.environ:
        return ""
    return f"process {rank} of {world}: "
