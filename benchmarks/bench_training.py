"""Training images per second: the engine against a plain pytorch/examples-style loop, one run.

The reference is the DCGAN loop of pytorch/examples (``dcgan/main.py``) on the same architecture
and batch: fp32, contiguous tensors, ``zero_grad()``, D on the real then the fake batch, G on the
same fake batch, and a ``.item()`` of every loss each step, as that example prints them. It is fed
from a tensor already in memory, so the comparison is of the training step, not of data loading.

The contestants run interleaved in rounds in the same process (this machine is noisy: a ratio
within one run means more than any absolute number), after a warm-up each, in ABBA order, and the
median of the rounds is reported with the CPU steal (time the hypervisor gave to other machines)
of each timed stretch. On a GPU the clock stops after a device synchronisation, for all three.

    python benchmarks/bench_training.py [--image-size 32] [--batch-size 128] [--rounds 6]
    python benchmarks/bench_training.py --device cuda --dataset shapes --image-size 64   # goal 4
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from common import print_round
from cpu_steal import QUIET_STEAL, CpuSteal, quiet_rounds

from dcgan_studio.config import PRESETS, RunConfig
from dcgan_studio.core import cpu_conv
from dcgan_studio.core.data import load_dataset, natural_channels, to_tanh_range
from dcgan_studio.core.devices import resolve_device
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.models import Discriminator, Generator


class ReferenceLoop:
    """pytorch/examples dcgan/main.py, the training part, on our G and D."""

    def __init__(self, cfg: RunConfig, images: torch.Tensor) -> None:
        torch.manual_seed(cfg.schedule.seed)
        self.cfg = cfg
        self.device = resolve_device(cfg.runtime.device)
        self.data = to_tanh_range(images).to(self.device)  # (N, C, S, S), normalised once
        self.netG = Generator(cfg.model).to(self.device)
        self.netD = Discriminator(cfg.model).to(self.device)
        o = cfg.optim
        self.optG = torch.optim.Adam(self.netG.parameters(), lr=o.lr_g, betas=(o.beta1, o.beta2))
        self.optD = torch.optim.Adam(self.netD.parameters(), lr=o.lr_d, betas=(o.beta1, o.beta2))

    def iteration(self) -> None:
        b, nz, device = self.cfg.optim.batch_size, self.cfg.model.nz, self.device
        real = self.data[torch.randint(len(self.data), (b,), device=device)]
        # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
        self.netD.zero_grad()
        output = self.netD(real)
        errD_real = F.binary_cross_entropy_with_logits(output, torch.ones(b, device=device))
        errD_real.backward()
        D_x = torch.sigmoid(output).mean().item()
        noise = torch.randn(b, nz, 1, 1, device=device)
        fake = self.netG(noise)
        output = self.netD(fake.detach())
        errD_fake = F.binary_cross_entropy_with_logits(output, torch.zeros(b, device=device))
        errD_fake.backward()
        D_G_z1 = torch.sigmoid(output).mean().item()
        self.optD.step()
        # (2) update G: maximize log(D(G(z)))
        self.netG.zero_grad()
        output = self.netD(fake)
        errG = F.binary_cross_entropy_with_logits(output, torch.ones(b, device=device))
        errG.backward()
        D_G_z2 = torch.sigmoid(output).mean().item()
        self.optG.step()
        self.last = (errD_real.item() + errD_fake.item(), errG.item(), D_x, D_G_z1, D_G_z2)

    def advance(self, iterations: int) -> None:
        for _ in range(iterations):
            self.iteration()
        synchronize(self.device)


class EngineContestant:
    """The real engine, through ``Trainer.run()`` with its default cadence (logs, grids)."""

    def __init__(self, cfg: RunConfig, dataset) -> None:
        self.trainer = Trainer(cfg.with_values({"schedule.iterations": 10**9}), dataset=dataset)
        self.snapshots = self.trainer.run()
        precision = self.trainer.precision
        layout = ", channels_last" if precision.channels_last else ""
        self.label = f"engine ({precision.name}{layout})"

    def advance(self, iterations: int) -> None:
        target = self.trainer.step + iterations
        for _ in self.snapshots:
            if self.trainer.step >= target:
                break
        synchronize(self.trainer.device)


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a round's clock holds all of it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    contestants: dict, iterations: int, rounds: int, batch: int
) -> tuple[dict[str, list[float]], dict[str, list[float | None]]]:
    """Each contestant's img/s and the CPU steal while it ran, round by round; the order is
    reversed every other round (ABBA), so a drift of the machine's speed falls on all alike."""
    rates: dict[str, list[float]] = {name: [] for name in contestants}
    steals: dict[str, list[float | None]] = {name: [] for name in contestants}
    for contestant in contestants.values():
        contestant.advance(max(3, iterations // 4))  # warm-up: allocations, oneDNN kernels
    for r in range(rounds):
        for name in list(contestants) if r % 2 == 0 else list(contestants)[::-1]:
            started, steal = time.perf_counter(), CpuSteal.read()
            contestants[name].advance(iterations)
            rates[name].append(iterations * batch / (time.perf_counter() - started))
            steals[name].append(CpuSteal.share(steal, CpuSteal.read()))
        print_round(
            r, rounds, {n: v[-1] for n, v in rates.items()}, {n: v[-1] for n, v in steals.items()}
        )
    return rates, steals


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument(
        "--dataset", default="digits", help="a built-in set; shapes is in colour (3 channels)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=30, help="per contestant per round")
    parser.add_argument("--rounds", type=int, default=6, help="even: ABBA order")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def base_config(args: argparse.Namespace) -> RunConfig:
    """pytorch/examples' widths and Adam, on the dataset, size, batch and device asked for."""
    return (
        RunConfig()
        .with_values(
            {
                **PRESETS["paper"],
                "data.dataset": args.dataset,
                "model.channels": natural_channels(args.dataset) or 3,
                "model.image_size": args.image_size,
                "optim.batch_size": args.batch_size,
                "runtime.device": args.device,
            }
        )
        .validate()
    )


def ratios(rates: dict, steals: dict) -> dict:
    """Each contestant's median img/s, and the median of its rounds' ratios to the reference:
    over all rounds, and over the quiet ones (no contestant lost more than ``QUIET_STEAL`` of
    the CPU to other machines). A slow patch of this shared machine falls on both sides of a
    round's ratio."""
    reference = rates["reference"]
    quiet = quiet_rounds(list(steals.values()))
    return {
        "median": {name: statistics.median(values) for name, values in rates.items()},
        "ratio": {
            name: statistics.median(v / r for v, r in zip(values, reference))
            for name, values in rates.items()
        },
        "quiet_rounds": quiet,
        "quiet_ratio": {
            name: statistics.median(values[r] / reference[r] for r in quiet)
            for name, values in rates.items()
        }
        if quiet
        else {},
    }


def print_report(args, base: RunConfig, engines: dict, figures: dict, steals: dict) -> None:
    median, quiet = figures["median"], figures["quiet_rounds"]
    device = engines["engine-auto"].trainer.device
    where = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(
        f"\nDCGAN {args.image_size}x{args.image_size}x{base.model.channels} ({args.dataset}), "
        f"batch {args.batch_size}, {where}, torch {torch.__version__}, median of "
        f"{args.rounds} interleaved rounds"
    )
    print(f"  reference loop (pytorch/examples, fp32)   {median['reference']:7.0f} img/s")
    for name, contestant in engines.items():
        print(
            f"  {contestant.label:<40} {median[name]:7.0f} img/s  "
            f"{median[name] / median['reference']:.2f}x the reference (median of the "
            f"rounds' ratios: {figures['ratio'][name]:.2f}x"
            + (
                f"; of the {len(quiet)} quiet round{'s' * (len(quiet) != 1)}: "
                f"{figures['quiet_ratio'][name]:.2f}x"
                if quiet
                else ""
            )
            + ")"
        )
    steal = [x for v in steals.values() for x in v if x is not None]
    if steal:
        print(
            f"  CPU steal while timed: median {statistics.median(steal):.0%}, max "
            f"{max(steal):.0%} (a round with high steal measured the neighbours too; quiet "
            f"rounds: steal at most {QUIET_STEAL:.0%} for every contestant)"
        )
    print_kernel_choices()


def print_kernel_choices() -> None:
    """On the CPU: for how many conv products ``cpu_conv`` chose its own way over oneDNN's."""
    chosen = cpu_conv.chosen_ways()  # key: (product, shapes, dtype, ...) -> way, 0 is oneDNN's
    counts = {str(k[2])[6:]: [0, 0] for k in chosen}
    for key, way in chosen.items():
        counts[str(key[2])[6:]][bool(way)] += 1
    if counts:  # the CPU only
        print(
            "  cpu_conv, timed at the first call of each shape, beat oneDNN's kernel with its "
            "own way for "
            + "; ".join(
                f"{won} of {kept + won} {dtype} products"
                for dtype, (kept, won) in sorted(counts.items())
            )
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = base_config(args)
    dataset = load_dataset(base)
    engines = {
        "engine-auto": EngineContestant(base, dataset),
        "engine-fp32": EngineContestant(base.with_values({"runtime.precision": "fp32"}), dataset),
    }
    contestants = {"reference": ReferenceLoop(base, dataset.images), **engines}
    rates, steals = measure(contestants, args.iterations, args.rounds, args.batch_size)
    figures = ratios(rates, steals)
    print_report(args, base, engines, figures, steals)
    if args.json:
        args.json.write_text(json.dumps({"rates": rates, "cpu_steal": steals, **figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
