"""Saving a run's parts in a checkpoint and putting them back: the weights, and beyond them the
optimizers, the batch order, every random stream and the fixed noise, so a resumed run continues
exactly where it stopped. It works on the parts it is given (``TrainingParts``), not on the
Trainer that owns them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from dcgan_studio.config import ModelConfig, RunConfig
from dcgan_studio.core.checkpoint_files import Checkpoint, save_checkpoint_folder
from dcgan_studio.core.cpu_conv import KernelChoices
from dcgan_studio.core.data import BatchSampler
from dcgan_studio.errors import CheckpointError, RunDirectoryError

STATE_FORMAT = 1


@dataclass(frozen=True)
class TrainingParts:
    """The moving parts of a run that a checkpoint saves and puts back (the objects themselves:
    restore() loads into them)."""

    model: ModelConfig
    generator: torch.nn.Module
    discriminator: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sampler: BatchSampler
    noise_rng: torch.Generator
    kernels: KernelChoices
    device: torch.device
    seed: int  # the run's seed: a fresh noise stream on another kind of device starts from it
    deterministic: bool
    generator_ema: torch.nn.Module | None = None  # G (EMA), saved beside G


@dataclass(frozen=True)
class Restored:
    """The plain values a checkpoint gives back: where the run is and what it must train with."""

    step: int
    elapsed: float
    fixed_noise: torch.Tensor  # (N, nz, 1, 1) on the run's device
    threads: int | None  # the thread count a deterministic run must train with


def training_state(
    parts: TrainingParts, step: int, elapsed: float, fixed_noise: torch.Tensor
) -> dict:
    """Everything but the weights that a resumed run needs to continue exactly."""
    state = {
        "format": STATE_FORMAT,
        "step": step,
        "elapsed": elapsed,
        "device_type": parts.device.type,
        "optimizer_g": parts.opt_g.state_dict(),
        "optimizer_d": parts.opt_d.state_dict(),
        "sampler": parts.sampler.state_dict(),
        "noise_rng": parts.noise_rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "fixed_noise": fixed_noise.cpu(),
        # the CPU's kernel per convolution shape and the thread count (which splits oneDNN's
        # sums differently): each changes the last bits, which a GAN's trajectory follows
        "cpu_kernels": parts.kernels.state_dict(),
        "threads": torch.get_num_threads(),
    }
    if parts.device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(parts.device)
    return state


def save(
    folder: Path,
    parts: TrainingParts,
    config: RunConfig,
    step: int,
    elapsed: float,
    fixed_noise: torch.Tensor,
    previous: Path | None,
) -> Path:
    """Save G, D and the training state in the checkpoint ``folder``, whole or not at all; a
    failed write is a RunDirectoryError that says ``previous`` (the run's last) is intact."""
    try:
        return save_checkpoint_folder(
            folder,
            step,
            config,
            parts.generator.state_dict(),
            parts.discriminator.state_dict(),
            training_state(parts, step, elapsed, fixed_noise),
            None if parts.generator_ema is None else parts.generator_ema.state_dict(),
        )
    except OSError as exc:
        kept = (
            f"the previous checkpoint {previous} is intact"
            if previous
            else "no earlier checkpoint exists"
        )
        raise RunDirectoryError(
            f"could not save the checkpoint {folder} ({exc.strerror or exc}): free space or "
            f"fix the folder's permissions; {kept}"
        ) from exc


def restore(parts: TrainingParts, checkpoint: Checkpoint, fixed_noise_shape: tuple) -> Restored:
    """Load a checkpoint's weights and training state into freshly built parts."""
    against, fix = "this run's networks", "resume with the settings it was made with"
    checkpoint.check_networks(parts.model, against, fix)
    checkpoint.load_into(
        against, fix, parts.generator, parts.discriminator, parts.generator_ema
    )  # a checkpoint made before G (EMA) starts it from G
    state = checkpoint.training_state()
    try:
        _check_values(state, fixed_noise_shape, checkpoint.step)
        parts.opt_g.load_state_dict(state["optimizer_g"])
        parts.opt_d.load_state_dict(state["optimizer_d"])
        _check_moments(parts.opt_g, "optimizer_g")
        _check_moments(parts.opt_d, "optimizer_d")
        parts.sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        step = state["step"]
        if state.get("device_type") == parts.device.type:
            parts.noise_rng.set_state(state["noise_rng"])
            if "cuda_rng" in state:
                torch.cuda.set_rng_state(state["cuda_rng"], parts.device)
        else:  # another kind of device: continue from a fresh, deterministic noise stream
            parts.noise_rng.manual_seed(parts.seed + step)
        restored = Restored(
            step,
            float(state["elapsed"]),
            state["fixed_noise"].to(parts.device),
            _restore_kernels(parts, state),
        )
    except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError) as exc:
        reason = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
        raise CheckpointError(
            f"the training state in {checkpoint.path} is damaged, incomplete or from another "
            f"version ({type(exc).__name__}: {reason}); sample from it, or start a new run"
        ) from exc
    return restored


def _check_values(state: dict, fixed_noise_shape: tuple, step: int) -> None:
    """The plain values and the fixed noise, before anything is put back: a wrong shape would
    only fail later, in the middle of training."""
    if type(state["step"]) is not int or state["step"] != step:
        raise ValueError(f"step {state['step']!r} in a checkpoint of step {step}")
    elapsed = state["elapsed"]
    if (
        isinstance(elapsed, bool)
        or not isinstance(elapsed, (int, float))
        or not 0 <= elapsed < float("inf")
    ):
        raise ValueError(f"elapsed time {elapsed!r}")
    noise, want = state["fixed_noise"], tuple(fixed_noise_shape)
    if (
        not isinstance(noise, torch.Tensor)
        or tuple(noise.shape) != want
        or noise.dtype != torch.float32
    ):
        found = tuple(noise.shape) if isinstance(noise, torch.Tensor) else type(noise).__name__
        raise ValueError(f"fixed_noise is {found}, the run needs float32 {want}")


def _check_moments(optimizer: torch.optim.Optimizer, name: str) -> None:
    """Adam's moments of every weight have that weight's shape (load_state_dict checks only the
    number of weights)."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                if key.startswith("exp_avg") and tuple(value.shape) != tuple(p.shape):
                    raise ValueError(
                        f"{name}'s {key} is {tuple(value.shape)} for a weight of {tuple(p.shape)}"
                    )


def _restore_kernels(parts: TrainingParts, state: dict) -> int | None:
    """The CPU kernels the run took, taken again; for a deterministic run, the thread count it
    must train with too, as the sums must be split as they were."""
    parts.kernels.load_state_dict(state.get("cpu_kernels", []))  # older checkpoints: none
    threads = state.get("threads")
    if parts.deterministic and type(threads) is int and threads >= 1:
        return threads
    return None
