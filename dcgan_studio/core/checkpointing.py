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
    }
    if trainer.device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(trainer.device)
    return state


def restore(trainer: Trainer, checkpoint: Checkpoint) -> None:
    """Load a checkpoint's weights and training state into a freshly built trainer."""
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
        trainer.opt_g.load_state_dict(state["optimizer_g"])
        trainer.opt_d.load_state_dict(state["optimizer_d"])
        trainer.sampler.load_state_dict(state["sampler"])
        torch.set_rng_state(state["torch_rng"])
        trainer.fixed_noise = state["fixed_noise"].to(trainer.device)
        trainer.step = int(state["step"])
        trainer.elapsed = float(state["elapsed"])
        if state.get("device_type") == trainer.device.type:
            trainer.noise_rng.set_state(state["noise_rng"])
            if "cuda_rng" in state:
                torch.cuda.set_rng_state(state["cuda_rng"], trainer.device)
        else:  # another kind of device: continue from a fresh, deterministic noise stream
            trainer.noise_rng.manual_seed(trainer.config.schedule.seed + trainer.step)
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CheckpointError(
            f"the training state in {checkpoint.path} is incomplete or from another version "
            f"({exc!r}); sample from it, or start a new run"
        ) from exc
