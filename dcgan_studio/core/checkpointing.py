"""What a checkpoint holds beyond the weights, and putting it back: optimizers, the batch order,
every random stream and the fixed noise, so a resumed run continues exactly where it stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from dcgan_studio.core.runs import Checkpoint
from dcgan_studio.errors import CheckpointError

if TYPE_CHECKING:
    from dcgan_studio.core.engine import Trainer

STATE_FORMAT = 1


def training_state(trainer: Trainer) -> dict:
    """Everything but the weights that a resumed run needs to continue exactly."""
    state = {
        "format": STATE_FORMAT,
        "step": trainer.step,
        "elapsed": trainer.elapsed,
        "device_type": trainer.device.type,
        "optimizer_g": trainer.opt_g.state_dict(),
        "optimizer_d": trainer.opt_d.state_dict(),
        "sampler": trainer.sampler.state_dict(),
        "noise_rng": trainer.noise_rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "fixed_noise": trainer.fixed_noise.cpu(),
        # the CPU's kernel per convolution shape and the thread count (which splits oneDNN's
        # sums differently): each changes the last bits, which a GAN's trajectory follows
        "cpu_kernels": trainer.kernels.state_dict(),
        "threads": torch.get_num_threads(),
    }
    if trainer.device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(trainer.device)
    return state


def restore(trainer: Trainer, checkpoint: Checkpoint) -> None:
    """Load a checkpoint's weights and training state into a freshly built trainer."""
    checkpoint.check_networks(
        trainer.config.model, "this run's networks", "resume with the settings it was made with"
    )
    try:
        trainer.generator.load_state_dict(checkpoint.generator_state())
        trainer.discriminator.load_state_dict(checkpoint.discriminator_state())
    except RuntimeError as exc:
        raise CheckpointError(
            f"the checkpoint {checkpoint.path} does not match this run's networks: "
            f"{str(exc).splitlines()[0]}; resume with the settings it was made with"
        ) from exc
    state = checkpoint.training_state()
    try:
        _check_values(state, trainer, checkpoint.step)
        trainer.opt_g.load_state_dict(state["optimizer_g"])
        trainer.opt_d.load_state_dict(state["optimizer_d"])
        _check_moments(trainer.opt_g, "optimizer_g")
        _check_moments(trainer.opt_d, "optimizer_d")
        trainer.sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        trainer.fixed_noise = state["fixed_noise"].to(trainer.device)
        trainer.step = state["step"]
        trainer.elapsed = float(state["elapsed"])
        if state.get("device_type") == trainer.device.type:
            trainer.noise_rng.set_state(state["noise_rng"])
            if "cuda_rng" in state:
                torch.cuda.set_rng_state(state["cuda_rng"], trainer.device)
        else:  # another kind of device: continue from a fresh, deterministic noise stream
            trainer.noise_rng.manual_seed(trainer.config.schedule.seed + trainer.step)
        _restore_kernels(trainer, state)
    except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError) as exc:
        reason = (str(exc).splitlines() or [""])[0][:200] or type(exc).__name__
        raise CheckpointError(
            f"the training state in {checkpoint.path} is damaged, incomplete or from another "
            f"version ({type(exc).__name__}: {reason}); sample from it, or start a new run"
        ) from exc


def _check_values(state: dict, trainer: Trainer, step: int) -> None:
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
    noise, want = state["fixed_noise"], tuple(trainer.fixed_noise.shape)
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


def _restore_kernels(trainer: Trainer, state: dict) -> None:
    """The CPU kernels the run took, taken again; in a deterministic run, its thread count too
    (where this machine has as many cores), as the sums must be split as they were."""
    trainer.kernels.load_state_dict(state.get("cpu_kernels", []))  # older checkpoints: none
    threads = state.get("threads")
    if trainer.config.runtime.deterministic and type(threads) is int and threads >= 1:
        trainer.threads = threads  # set while it trains (the count is the whole process's)
