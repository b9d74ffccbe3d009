"""How soon digits appear: recognisable samples against seconds since Start, defaults vs reference.

Issue 8's headline: with the default settings, recognisable digits within 90 s of pressing Start
on a 2-core CPU. "Recognisable" (``digit_score``): the app's bundled digit classifier
(resources/quality) gives one class a probability above 0.9 for at least half of 2,000 generated
samples, and all ten digits appear among them.

Contestants, interleaved in slices of ``--slice`` seconds in one process (this machine is noisy:
each contestant's clock counts only its own slices, so a slow patch of the machine falls on all
of them):

    reference   the pytorch/examples DCGAN loop (benchmarks/bench_training.py): fp32, batch 128,
                Adam(2e-4, 0.5), widths 64, fed from memory
    defaults    the engine with ``RunConfig()`` as it is, through ``Trainer.run()`` with its
                logging, grids and checkpoint cadence; its clock starts before the dataset loads
    --try K=V,K=V  any variant of the defaults (dotted config fields), to choose defaults

Every ``--every`` seconds of a contestant's clock (or steps, with ``--steps``) its G is copied;
after training, each copy makes 2,000 samples from the same fixed noise (eval mode) and is scored,
and a Frechet distance in the classifier's feature space (FID's formula) to the 2,000 held-out
real digits (the classifier never trained on them) is computed.

    .venv/bin/python benchmarks/bench_learning.py [--seconds 240] [--every 15]
    .venv/bin/python benchmarks/bench_learning.py --seconds 90 --try optim.batch_size=32
    .venv/bin/python benchmarks/bench_learning.py --no-reference --steps 600 --every 100 \
        --try runtime.precision=fp32           # the fast path's quality against fp32's
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import digit_score
import numpy as np
import torch
from bench_training import ReferenceLoop
from common import print_command

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import load_dataset
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.models import Generator

SAMPLES = 2000
GOAL = (0.5, 10)  # recognisable share, classes


class Learner:
    """A contestant that trains in slices, on its own clock, and keeps copies of its G."""

    def __init__(self, name: str, cfg: RunConfig) -> None:
        self.name, self.cfg = name, cfg
        self.clock = 0.0  # seconds of its own slices, start-up included
        self.copies: list[tuple[float, int, dict]] = []  # (seconds, step, G's state)
        self.ema_copies: list[tuple[float, int, dict]] = []  # the same of G (EMA), if it has one
        self.precision = "fp32"

    def keep(self) -> None:
        self.copies.append((self.clock, self.step(), _cpu_state(self.generator())))
        if self.ema_generator() is not None:
            self.ema_copies.append((self.clock, self.step(), _cpu_state(self.ema_generator())))

    def ema_generator(self) -> torch.nn.Module | None:
        return None

    def run_slice(self, seconds: float, every: float, by_steps: bool, steps: int | None) -> None:
        """Train for ``seconds`` of its clock (or to ``steps``), keeping a copy of G every
        ``every`` seconds (or steps, ``by_steps``)."""
        end = self.clock + seconds
        while self.clock < end and (steps is None or self.step() < steps):
            started = time.perf_counter()
            self.iterate()
            self.clock += time.perf_counter() - started
            if (self.step() if by_steps else self.clock) >= len(self.copies) * every:
                self.keep()


class ReferenceLearner(Learner):
    def __init__(self, cfg: RunConfig) -> None:
        super().__init__("reference", cfg)
        started = time.perf_counter()
        self.loop = ReferenceLoop(cfg, load_dataset(cfg).images)
        self.steps = 0
        self.clock = time.perf_counter() - started

    def iterate(self) -> None:
        self.loop.iteration()
        self.steps += 1

    def step(self) -> int:
        return self.steps

    def generator(self) -> torch.nn.Module:
        return self.loop.netG


class EngineLearner(Learner):
    def __init__(self, name: str, cfg: RunConfig) -> None:
        super().__init__(name, cfg)
        started = time.perf_counter()
        self.trainer = Trainer(cfg.with_values({"schedule.iterations": 10**9}))
        self.snapshots = self.trainer.run()
        next(self.snapshots)  # "running": the first grid is made with the next ones
        self.precision = self.trainer.precision.name
        self.clock = time.perf_counter() - started

    def iterate(self) -> None:
        target = self.trainer.step + 1
        for _ in self.snapshots:
            if self.trainer.step >= target:
                return

    def step(self) -> int:
        return self.trainer.step

    def generator(self) -> torch.nn.Module:
        return self.trainer.generator

    def ema_generator(self) -> torch.nn.Module | None:
        return self.trainer.gan.generator_ema


class EmaView(Learner):
    """A learner's G (EMA) copies, scored as a contestant of their own (same clock, steps)."""

    def __init__(self, learner: Learner) -> None:
        super().__init__(f"{learner.name}, G (EMA)", learner.cfg)
        self.copies, self.precision = learner.ema_copies, learner.precision


def _cpu_state(net: torch.nn.Module) -> dict:
    return {k: v.detach().float().cpu().clone().contiguous() for k, v in net.state_dict().items()}


@torch.no_grad()
def samples(cfg: RunConfig, state: dict, noise: torch.Tensor) -> np.ndarray:
    """uint8 (N, S, S) from a copy of G, in eval mode, on the CPU in fp32."""
    net = Generator(cfg.model)
    net.load_state_dict(state)
    net.eval()
    out = torch.cat([net(noise[i : i + 500]) for i in range(0, len(noise), 500)])
    return ((out[:, 0] + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy()


def parse_try(text: str) -> dict:
    values = {}
    for part in text.split(","):
        key, _, raw = part.partition("=")
        for kind in (int, float):
            try:
                values[key.strip()] = kind(raw)
                break
            except ValueError:
                continue
        else:
            values[key.strip()] = raw
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240, help="training time of each")
    parser.add_argument(
        "--every",
        type=float,
        default=15,
        help="seconds (with --steps: steps) between scored copies",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="train each to this step instead of for "
        "--seconds: quality at equal steps (e.g. --try runtime.precision=fp32)",
    )
    parser.add_argument("--slice", type=float, default=5, help="seconds of each turn")
    parser.add_argument(
        "--try",
        dest="variants",
        action="append",
        default=[],
        help="a variant of the defaults: dotted=value,dotted=value",
    )
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write every score here")
    return parser.parse_args(argv)


def make_learners(args: argparse.Namespace) -> list[Learner]:
    """The reference (unless --no-reference), the defaults and each --try variant, each with a
    first copy of its G."""
    defaults = RunConfig().with_values({"runtime.device": "cpu", "schedule.seed": args.seed})
    reference = defaults.with_values(
        {
            "optim.batch_size": 128,
            "model.ngf": 64,
            "model.ndf": 64,
            "optim.lr_g": 2e-4,
            "optim.lr_d": 2e-4,
            "optim.d_steps": 1,
            "runtime.precision": "fp32",
        }
    )
    learners: list[Learner] = [] if args.no_reference else [ReferenceLearner(reference)]
    learners.append(EngineLearner("defaults", defaults))
    for text in args.variants:
        learners.append(EngineLearner(text, defaults.with_values(parse_try(text))))
    for learner in learners:
        learner.keep()
    return learners


def train(learners: list[Learner], args: argparse.Namespace) -> None:
    """Every learner in turn, a slice at a time, until each has had its seconds (or steps)."""

    def done(learner: Learner) -> bool:
        if args.steps is not None:
            return learner.step() >= args.steps
        return learner.clock >= args.seconds

    while not all(map(done, learners)):
        for learner in learners:
            if not done(learner):
                seconds = (
                    args.slice if args.steps else min(args.slice, args.seconds - learner.clock)
                )
                learner.run_slice(seconds, args.every, args.steps is not None, args.steps)
        print(
            "  " + ", ".join(f"{x.name}: {x.clock:.0f} s, step {x.step()}" for x in learners),
            file=sys.stderr,
        )


def score_copies(learners: list[Learner], classifier, real: np.ndarray) -> dict[str, list[dict]]:
    """Each copy of each learner's G: its samples of the same fixed noise, scored."""
    results: dict[str, list[dict]] = {}
    for learner in learners:
        noise = torch.randn(
            SAMPLES, learner.cfg.model.nz, 1, 1, generator=torch.Generator().manual_seed(1234)
        )
        rows = []
        for seconds, step, state in learner.copies:
            images = samples(learner.cfg, state, noise)
            score = digit_score.score(classifier, images)
            fid = digit_score.frechet_distance(digit_score.features(classifier, images), real)
            rows.append(
                {
                    "seconds": round(seconds, 1),
                    "step": step,
                    "recognisable": score.recognisable,
                    "classes": score.classes,
                    "fd": fid,
                }
            )
        results[learner.name] = rows
    return results


def print_table(args: argparse.Namespace, learners: list[Learner], results: dict) -> None:
    """The learners' settings, then a row per copy: each learner's score side by side."""
    print(
        f"\nDCGAN 32x32 digits on the CPU ({torch.get_num_threads()} threads, torch "
        f"{torch.__version__}); "
        + (f"{args.steps} steps" if args.steps else f"{args.seconds:g} s")
        + f" each, interleaved in {args.slice:g} s slices"
    )
    for learner in learners:
        c = learner.cfg
        print(
            f"  {learner.name}: batch {c.optim.batch_size}, ngf {c.model.ngf}, ndf "
            f"{c.model.ndf}, lr {c.optim.lr_g:g}/{c.optim.lr_d:g}, d_steps {c.optim.d_steps}, "
            f"{learner.precision}"
        )
    print("  copy    " + "".join(f"| {x.name[:26]:<26}" for x in learners))
    for i in range(max(len(r) for r in results.values())):
        line = ""
        for learner in learners:
            r = results[learner.name]
            if i < len(r):
                row = r[i]
                line += (
                    f"| {row['seconds']:5.0f}s {row['recognisable']:5.1%} "
                    f"{row['classes']:2d}/10 FD {row['fd']:6.1f} "
                )
            else:
                line += "| " + " " * 26
        print(f"  {i:7d} " + line)


def print_goal_reached(args: argparse.Namespace, learners: list[Learner], results: dict) -> None:
    """When each learner first made half of its samples recognisable and all ten digits."""
    for learner in learners:
        first = next(
            (
                r
                for r in results[learner.name]
                if r["recognisable"] >= GOAL[0] and r["classes"] >= GOAL[1]
            ),
            None,
        )
        when = (
            f"at {first['seconds']:.0f} s (step {first['step']})"
            if first
            else f"not within {args.steps} steps"
            if args.steps
            else f"not within {args.seconds:g} s"
        )
        print(f"  {learner.name}: half recognisable and all ten digits {when}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.manual_seed(0)
    classifier = digit_score.load_classifier()
    real = digit_score.real_features(classifier)
    learners = make_learners(args)
    train(learners, args)
    learners += [EmaView(learner) for learner in learners if learner.ema_copies]
    print(f"\nscoring {SAMPLES} samples of every copy ...", file=sys.stderr)
    results = score_copies(learners, classifier, real)
    print_table(args, learners, results)
    print_goal_reached(args, learners, results)
    print_command()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
