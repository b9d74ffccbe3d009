"""1-D GAN playground smoothness: screen updates per second and iterations per second.

The real ``Gan1dPlayground`` widget, shown at 1100x800, plays at ``--speed`` iterations per frame
(1 by default: every iteration drawn) for ``--seconds``. Counted: frames the GUI drew (the
playground redraws only when the worker published a new frame) and iterations the worker did.
Measured twice in one run: with nothing else running, and while a headless DCGAN trainer of the
default model trains at full speed on another thread (as when a person opens the playground tab
while the studio trains). The DCGAN's own speed is measured beside the paused and the playing
playground, so the playground's cost to training shows too. Goal: at least 30 updates per second
on a 2-core CPU.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gan1d.py [--seconds 10] [--speed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from common import background_config, print_command
from qt_common import run_until, training_beside, wait

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.gui.app import make_application
from dcgan_studio.gui.gan1d.playground import Gan1dPlayground
from dcgan_studio.gui.gan1d.workspace import make_playground


def measure(
    playground: Gan1dPlayground, seconds: float, trainer: Trainer | None = None
) -> dict[str, float]:
    """Play for ``seconds``; frames drawn per second, iterations per second (and the DCGAN's)."""
    playground.play()
    wait(1.0)  # warm-up: the worker and the redraw timer in step
    frames, step = playground.model.frames_drawn, playground.model.last_frame.snapshot.step
    dcgan, started = (trainer.step if trainer else 0), time.perf_counter()
    wait(seconds)
    elapsed = time.perf_counter() - started
    out = {
        "fps": (playground.model.frames_drawn - frames) / elapsed,
        "its": (playground.model.last_frame.snapshot.step - step) / elapsed,
    }
    if trainer is not None:
        out["dcgan"] = (trainer.step - dcgan) / elapsed
    playground.pause()
    return out


def dcgan_alone(trainer: Trainer, seconds: float) -> float:
    """The DCGAN's iterations per second with the playground paused (the event loop running)."""
    wait(1.0)
    start, started = trainer.step, time.perf_counter()
    wait(seconds)
    return (trainer.step - start) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--speed", type=int, default=1, help="iterations per frame")
    args = parser.parse_args(argv)
    app = make_application()
    playground = make_playground()
    playground.speed_spin.setValue(args.speed)
    playground.resize(1100, 800)
    playground.show()
    run_until(lambda: playground.model.last_frame is not None, 30, "the first frame")
    idle = measure(playground, args.seconds)

    cfg = background_config()
    with tempfile.TemporaryDirectory(prefix="bench-gan1d-") as name:
        trainer = Trainer(cfg, RunDirectory.create(Path(name) / "run", cfg))
        with training_beside(trainer):
            alone = dcgan_alone(trainer, args.seconds)
            busy = measure(playground, args.seconds, trainer)
    playground.shutdown()
    playground.close()
    app.processEvents()

    print(
        f"\n1-D GAN playground at 1100x800, {args.speed} iteration(s) per frame, CPU, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}, {args.seconds:.0f} s "
        f"each"
    )
    print(
        f"  nothing else running: {idle['fps']:.1f} screen updates/s, "
        f"{idle['its']:.1f} iterations/s"
    )
    print(
        f"  beside DCGAN training ({cfg.model.image_size}x{cfg.model.image_size}, batch "
        f"{cfg.optim.batch_size}, {trainer.precision.name}): {busy['fps']:.1f} screen "
        f"updates/s, {busy['its']:.1f} iterations/s"
    )
    print(
        f"  DCGAN iterations/s: {alone:.2f} with the playground paused, {busy['dcgan']:.2f} "
        f"while it plays"
    )
    print("  goal: at least 30 screen updates/s")
    print_command()
    return 0


if __name__ == "__main__":
    sys.exit(main())
