"""Images from a checkpoint's generator: seeded, batched, fp32, reproducible on the CPU."""

from __future__ import annotations

import numpy as np
import torch

from dcgan_studio.config import RunConfig
from dcgan_studio.core.models import Generator
from dcgan_studio.core.runs import Checkpoint
from dcgan_studio.core.snapshots import to_uint8_images
from dcgan_studio.errors import CheckpointError


def load_generator(checkpoint: Checkpoint, device: torch.device, ema: bool = False) -> Generator:
    """G of a checkpoint, in eval mode; ``ema``: G (EMA) instead (refused where the checkpoint
    was made before there was one)."""
    if ema and not checkpoint.has_ema:
        raise CheckpointError(
            f"{checkpoint.path} holds no G (EMA): it was saved before the studio kept one; "
            "sample without --ema, or from a newer checkpoint"
        )
    # the tensors' shapes from the header first: a forged one must not make us build a huge G
    checkpoint.check_networks(
        checkpoint.config.model,
        "the generator its own config describes",
        "the checkpoint is damaged; use another checkpoint of the run",
        discriminator=False,
        ema=ema,
    )
    generator = Generator(checkpoint.config.model)
    against, fix = "the generator its own config describes", "the checkpoint is damaged"
    if ema:
        checkpoint.load_into(against, fix, generator_ema=generator)
    else:
        checkpoint.load_into(against, fix, generator)
    return generator.to(device).eval()


FIXED_NOISE_SALT = 0x5EED  # the fixed inputs come from their own stream, not the training one


def fixed_inputs(config: RunConfig, dataset_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's fixed noise (sample_count, nz, 1, 1), the same for every grid of the run, and
    the indices of the real images shown beside it; both on the CPU, from the seed alone."""
    rng = torch.Generator().manual_seed(config.schedule.seed ^ FIXED_NOISE_SALT)
    count = config.schedule.sample_count
    noise = torch.randn(count, config.model.nz, 1, 1, generator=rng)
    real_indices = torch.randperm(dataset_size, generator=rng)[: min(count, dataset_size)]
    return noise, real_indices


def latent_vectors(n: int, nz: int, seed: int) -> torch.Tensor:
    """(n, nz, 1, 1) drawn on the CPU, so one seed gives the same z on every device."""
    return torch.randn(n, nz, 1, 1, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def generate(generator: Generator, z: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """uint8 (N, H, W, C) images for latent vectors z, in eval mode."""
    device = next(generator.parameters()).device
    parts = [
        to_uint8_images(generator(z[start : start + batch_size].to(device)))
        for start in range(0, len(z), batch_size)
    ]
    return np.concatenate(parts)
