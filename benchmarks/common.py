"""What several benchmarks share and that needs no Qt: the command line they print, the training
they run beside a view, and the line each round of interleaved contestants prints."""

from __future__ import annotations

import os
import shlex
import sys
import time

from dcgan_studio.config import RunConfig


def command_line() -> str:
    """This process's command, as a person would type it again (with QT_QPA_PLATFORM)."""
    python = sys.executable
    if python.startswith(os.getcwd() + os.sep):
        python = os.path.relpath(python)
    command = shlex.join([python, *sys.argv])
    if "QT_QPA_PLATFORM" in os.environ:
        command = f"QT_QPA_PLATFORM={shlex.quote(os.environ['QT_QPA_PLATFORM'])} {command}"
    return command


def print_command(started: float | None = None) -> None:
    """A report's last line: the command that made it, and how long it took since ``started``
    (a ``time.perf_counter()``) when given."""
    took = "" if started is None else f"   ({time.perf_counter() - started:.0f} s)"
    print(f"command: {command_line()}{took}")


def background_config() -> RunConfig:
    """The default model on the CPU, endless and without checkpoints: the DCGAN training that a
    benchmark of a view runs beside it, as a person's window trains while they look."""
    return (
        RunConfig()
        .with_values(
            {
                "runtime.device": "cpu",
                "schedule.iterations": 10**9,
                "schedule.checkpoint_every": 10**6,
            }
        )
        .validate()
    )


def print_round(
    r: int, rounds: int, rates: dict[str, float], steals: dict[str, float | None]
) -> None:
    """One round of interleaved contestants, on stderr: each one's img/s and CPU steal."""
    print(
        f"round {r + 1}/{rounds}: "
        + ", ".join(
            f"{name} {rate:.0f} img/s"
            + (f" (steal {steals[name]:.0%})" if steals[name] is not None else "")
            for name, rate in rates.items()
        ),
        file=sys.stderr,
    )
