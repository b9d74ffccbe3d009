"""Data loading never starves training: a folder of image files against the built-in digits.

The 10,000 bundled digits are written as PNG files into a temporary folder (ten class folders),
then three engines of the same config train in interleaved rounds: on ``folder:PATH`` decoded
into memory (a folder that fits is decoded once, off the training loop, into the same uint8 tensor
the built-in set uses), on the same folder streamed from its files (``--memory-limit-mb 1``: a
folder too big for memory is decoded batch by batch by threads, the next batch while the current
one trains), and on the built-in ``digits``. The goal: both folder rates within 10% of the
built-in rate. The one-off scan times are printed beside them.

    .venv/bin/python benchmarks/bench_data.py [--rounds 5] [--iterations 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from bench_training import EngineContestant, measure
from common import print_command
from PIL import Image

from dcgan_studio.config import RunConfig
from dcgan_studio.core.data import load_dataset, load_digits_raw


def write_digit_folder(root: Path) -> int:
    images, labels = load_digits_raw()
    for index, (image, label) in enumerate(zip(images, labels)):
        folder = root / str(int(label))
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / f"{index:05d}.png")
    return len(images)


def folder_contestants(base: RunConfig, folder: Path) -> tuple[dict, str]:
    """The digits written into ``folder``; the three contestants, and a line on the folder's
    one-off loading times."""
    files = write_digit_folder(folder)
    on_folder = base.with_values({"data.dataset": f"folder:{folder}"})
    streamed = on_folder.with_values({"data.memory_limit_mb": 1})
    started = time.perf_counter()
    folder_set = load_dataset(on_folder)
    scan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    streamed_set = load_dataset(streamed)  # headers only: the pixels are read in training
    header_seconds = time.perf_counter() - started
    assert streamed_set.streamed and not folder_set.streamed
    skipped = folder_set.summary().skipped_count
    contestants = {
        "folder": EngineContestant(on_folder, folder_set),
        "streamed": EngineContestant(streamed, streamed_set),
        "built-in": EngineContestant(base, load_dataset(base)),
    }
    loading = (
        f"  folder of {files:,} PNG files: decoded into memory in {scan_seconds:.1f} s "
        f"({len(folder_set):,} images, {skipped} skipped); headers checked for streaming in "
        f"{header_seconds:.1f} s"
    )
    return contestants, loading


def print_report(args: argparse.Namespace, rates: dict, label: str, loading: str) -> None:
    """The one-off loading times, then each contestant's median rate against the built-in's."""
    median = {n: statistics.median(v) for n, v in rates.items()}
    print(
        f"\nDCGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, "
        f"{torch.get_num_threads()} threads, {label}, median of "
        f"{args.rounds} interleaved rounds of {args.iterations} iterations"
    )
    print(loading)
    print(f"  training on the built-in digits  {median['built-in']:7.0f} img/s")
    for key, what in (("folder", "the folder, in memory"), ("streamed", "the folder, streamed")):
        print(
            f"  training on {what:<21}{median[key]:7.0f} img/s  "
            f"{median[key] / median['built-in']:.2f}x (goal: within 10%)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=20, help="per contestant per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    base = (
        RunConfig()
        .with_values(
            {
                "model.image_size": args.image_size,
                "optim.batch_size": args.batch_size,
                "runtime.device": "cpu",
            }
        )
        .validate()
    )
    with tempfile.TemporaryDirectory(prefix="bench-data-") as name:
        contestants, loading = folder_contestants(base, Path(name) / "digits-png")
        rates, _ = measure(contestants, args.iterations, args.rounds, args.batch_size)
    print_report(args, rates, contestants["folder"].label, loading)
    print_command()
    return 0


if __name__ == "__main__":
    sys.exit(main())
