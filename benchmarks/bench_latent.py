"""Latent explorer latency: from a slider move to the new image on screen.

The real latent space (``LatentSpace``, its view shown) with a 32x32 generator (the default
model, nz 100, ngf 64). A slider of z is moved one notch at a time; each move waits until the
image on screen shows the new vector (rendered on the space's own worker thread and drawn by the
GUI thread), and the time from the move to the redrawn view is recorded. Measured twice in one
run: with nothing else running, and while a headless trainer of the same model trains at full
speed on another thread (as during training in the window, where both want the CPU and the
interpreter). Goal: median 50 ms or less on this CPU.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_latent.py [--moves 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import background_config, print_command
from qt_common import run_until, training_beside

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.gui.app import make_application
from dcgan_studio.gui.latent.space import LatentSpace


def drag(space: LatentSpace, moves: int) -> list[float]:
    """Move slider 0 ``moves`` notches; ms from each move to its image on screen."""
    slider = space.view.dimension_sliders.sliders[0]
    view = space.view.main_view
    latencies = []
    for i in range(moves):
        value = slider.minimum() + (i * 7 + 1) % (slider.maximum() - slider.minimum())
        if value == slider.value():
            value += 1
        before = view.shown
        started = time.perf_counter()
        slider.setValue(value)
        run_until(lambda b=before: view.shown is not b, 10, "the new image")
        latencies.append((time.perf_counter() - started) * 1000)
    wanted = space.jobs.renderer.render(space.model.current_z()[None])[0]
    if not np.array_equal(view.shown, wanted):
        raise RuntimeError("the image on screen is not the last slider position's")
    return latencies


def summary(latencies: list[float]) -> str:
    a = np.asarray(latencies)
    return (
        f"median {statistics.median(latencies):.1f} ms, p90 {np.percentile(a, 90):.1f} ms, "
        f"max {a.max():.1f} ms over {len(a)} moves"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args(argv)
    app = make_application()
    cfg = background_config()
    with tempfile.TemporaryDirectory(prefix="bench-latent-") as name:
        trainer = Trainer(cfg, RunDirectory.create(Path(name) / "run", cfg))
        trainer.save_checkpoint()
        space = LatentSpace()
        space.view.resize(650, 850)
        space.view.show()
        space.open_checkpoint(trainer.run_dir.root)
        run_until(
            lambda: space.jobs.renderer is not None and space.view.main_view.shown is not None,
            60,
            "the explorer to open the checkpoint",
        )
        drag(space, 10)  # warm-up
        idle = drag(space, args.moves)

        with training_beside(trainer):
            busy = drag(space, args.moves)
            steps = trainer.step
        space.shutdown()
        space.view.close()
    print(
        f"\nlatent explorer, 32x32 G (nz {cfg.model.nz}, ngf {cfg.model.ngf}), CPU, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}"
    )
    print(f"  slider move -> new image on screen, nothing else running: {summary(idle)}")
    print(
        f"  the same while training runs on another thread ({trainer.precision.name}, "
        f"{steps} iterations meanwhile): {summary(busy)}"
    )
    print("  goal: median 50 ms or less")
    print_command()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
