"""A checkpoint on disk: one folder of a run, or a lone generator file, written whole and read
without trusting it.

    checkpoints/step-0000300/
        generator.safetensors      G's weights and buffers (the run's config in the metadata)
        generator_ema.safetensors  G (EMA): its weights averaged over the last updates
        discriminator.safetensors  D's weights and buffers
        training_state.pt          optimizers, RNG states, data order: tensors and plain values
                                   only, read with torch.load(weights_only=True)

A folder is filled under a temporary name and renamed into place, so a crash or a failed write
mid-save leaves the previous checkpoint whole. Reading checks before it trusts: a file's size
against what its header promises, the tensors' shapes in the headers against the networks before
any is built, and a training state that could run code is refused.
"""

from __future__ import annotations

import io
import os
import pickle
import re
import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes
from torch import nn

from dcgan_studio.config import ModelConfig, RunConfig, parse_json
from dcgan_studio.core.architecture import (
    NetworkPlan,
    discriminator_plan,
    generator_plan,
    state_shapes,
)
from dcgan_studio.core.durable import durable_write_bytes, fsync_dir, temporary_name
from dcgan_studio.errors import CheckpointError, ConfigError

CHECKPOINT_FORMAT = "dcgan-studio/1"
GENERATOR_FILE = "generator.safetensors"
GENERATOR_EMA_FILE = "generator_ema.safetensors"  # absent in checkpoints made before G (EMA)
DISCRIMINATOR_FILE = "discriminator.safetensors"
STATE_FILE = "training_state.pt"
STATE_MARGIN = 256 * 2**20  # bytes of a training state beyond Adam's moments (batch order, noise)
_STEP_NAME = re.compile(r"^step-(\d{7,})$")


def checkpoint_name(step: int) -> str:
    return f"step-{step:07d}"


def step_of(name: str) -> int | None:
    """The step a checkpoint folder or sample file is named by ("step-0000300" -> 300)."""
    match = _STEP_NAME.match(name)
    return int(match.group(1)) if match else None


def checkpoint_steps(folder: Path) -> list[int]:
    """The steps of the checkpoint folders in ``folder`` (a run's checkpoints/), oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        step for p in folder.iterdir() if p.is_dir() and (step := step_of(p.name)) is not None
    )


@dataclass(frozen=True)
class Checkpoint:
    path: Path  # the checkpoint folder
    step: int
    config: RunConfig
    generator_name: str = GENERATOR_FILE  # a lone generator file (an export) may be named so

    def generator_state(self, ema: bool = False) -> dict[str, torch.Tensor]:
        """G's weights; ``ema``: G (EMA)'s (see ``has_ema``)."""
        return _read_safetensors(self.path / (GENERATOR_EMA_FILE if ema else self.generator_name))

    @property
    def has_ema(self) -> bool:  # a lone file of another name is G alone, whatever lies beside it
        same = self.generator_name == GENERATOR_FILE
        return same and (self.path / GENERATOR_EMA_FILE).is_file()

    def discriminator_state(self) -> dict[str, torch.Tensor]:
        return _read_safetensors(self.path / DISCRIMINATOR_FILE)

    def training_state(self) -> dict[str, Any]:
        # Adam keeps two moments a weight; the batch order and the noise are small beside them
        weights = sum(
            (self.path / name).stat().st_size
            for name in (GENERATOR_FILE, DISCRIMINATOR_FILE)
            if (self.path / name).is_file()
        )
        _check_size(
            self.path / STATE_FILE,
            3 * weights + STATE_MARGIN,
            "a run of these networks holds at most",
            exact=False,
        )
        return read_weights_only(self.path / STATE_FILE)

    def check_networks(
        self,
        model: ModelConfig,
        against: str,
        fix: str,
        discriminator: bool = True,
        ema: bool = True,
    ) -> None:
        """Refuse weights whose tensors are not those of ``model``'s networks, from the files'
        headers alone: before any network is built, so a forged header costs no memory.
        The message: ``<file> does not match <against> (<which tensor>): <fix>``."""
        problem = f"does not match {against}"
        check_weights_file(self.path / self.generator_name, generator_plan(model), problem, fix)
        if ema and self.has_ema:
            check_weights_file(self.path / GENERATOR_EMA_FILE, generator_plan(model), problem, fix)
        if discriminator:
            check_weights_file(
                self.path / DISCRIMINATOR_FILE, discriminator_plan(model), problem, fix
            )

    def load_into(
        self,
        against: str,
        fix: str,
        generator: nn.Module | None = None,
        discriminator: nn.Module | None = None,
        generator_ema: nn.Module | None = None,
    ) -> None:
        """Load the saved weights into the networks given (checked with ``check_networks``
        first); a mismatch the headers did not show is ``<folder> does not match <against>
        (<what torch says>): <fix>``. ``generator_ema`` gets G (EMA)'s weights where the
        checkpoint has them, else G's."""
        try:
            if generator is not None:
                generator.load_state_dict(self.generator_state())
            if generator_ema is not None:
                generator_ema.load_state_dict(self.generator_state(ema=self.has_ema))
            if discriminator is not None:
                discriminator.load_state_dict(self.discriminator_state())
        except RuntimeError as exc:
            raise CheckpointError(
                f"{self.path} does not match {against} ({str(exc).splitlines()[0]}): {fix}"
            ) from exc


# ---- writing --------------------------------------------------------------------------------
def _safetensors_bytes(state: Mapping[str, torch.Tensor], step: int, config: RunConfig) -> bytes:
    # safetensors wants dense, contiguous, unshared tensors (channels_last weights are neither)
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
    metadata = {"format": CHECKPOINT_FORMAT, "step": str(step), "config": config.to_json()}
    return save_safetensors_bytes(tensors, metadata)


def save_checkpoint_folder(
    folder: Path,
    step: int,
    config: RunConfig,
    generator_state: Mapping[str, torch.Tensor],
    discriminator_state: Mapping[str, torch.Tensor],
    training_state: Mapping[str, Any],
    generator_ema_state: Mapping[str, torch.Tensor] | None = None,
) -> Path:
    """Write a whole checkpoint into ``folder`` (replacing one of that name) atomically."""
    folder = Path(folder)
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(folder)
    try:
        tmp.mkdir()
        weights = {GENERATOR_FILE: generator_state, DISCRIMINATOR_FILE: discriminator_state}
        if generator_ema_state is not None:
            weights[GENERATOR_EMA_FILE] = generator_ema_state
        for name, state in weights.items():
            durable_write_bytes(tmp / name, _safetensors_bytes(state, step, config))
        buffer = io.BytesIO()
        torch.save(dict(training_state), buffer)
        durable_write_bytes(tmp / STATE_FILE, buffer.getvalue())
        fsync_dir(tmp)
        if folder.exists():  # the same step saved again (a resume stopped at once)
            old = temporary_name(folder, "old")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(parent)
    return folder


def save_generator_file(
    path: Path, step: int, config: RunConfig, state: Mapping[str, torch.Tensor]
) -> Path:
    """G's weights alone, in the checkpoint's format (``open_checkpoint`` reads it)."""
    durable_write_bytes(Path(path), _safetensors_bytes(state, step, config))
    return Path(path)


# ---- reading --------------------------------------------------------------------------------
def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    _check_size(path, safetensors_size(path), "its header promises")
    try:
        return load_safetensors_bytes(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from exc
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}): it is damaged; "
            "use another checkpoint of the run"
        ) from exc


def safetensors_size(path: Path) -> int:
    """The bytes a safetensors file holds by its own header: 8, the header, the tensors."""
    ends = [
        entry["data_offsets"][1]
        for name, entry in _safetensors_header(path).items()
        if name != "__metadata__"
        and isinstance(entry, dict)
        and isinstance(entry.get("data_offsets"), list)
        and len(entry["data_offsets"]) == 2
        and type(entry["data_offsets"][1]) is int
    ]
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
    return 8 + header_len + max(ends, default=0)


def _check_size(path: Path, most: int, promised: str, exact: bool = True) -> None:
    """Refuse a file larger (or, ``exact``, other) than it should be before reading it into
    memory: a forged file of gigabytes never gets that far."""
    try:
        size = Path(path).stat().st_size
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from exc
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror}): check it") from exc
    if size > most or (exact and size != most):
        raise CheckpointError(
            f"{path} holds {size:,} bytes where {promised} {most:,}: it is damaged; "
            "use another checkpoint of the run"
        )


def _safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (each tensor's dtype, shape and offsets, and the
    metadata), read without the tensors."""
    try:
        with open(path, "rb") as f:  # the header only: 8 bytes of length, then JSON
            header_len = int.from_bytes(f.read(8), "little")
            if not 2 <= header_len <= 100_000_000:
                raise ValueError(f"header length {header_len}")
            header = parse_json(f.read(header_len))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from exc
    except (ValueError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a safetensors file (its header cannot be read: {exc}): it is damaged "
            "or not a DCGAN Studio checkpoint"
        ) from exc
    return header


def check_weights_file(path: Path, plan: NetworkPlan, problem: str, fix: str) -> None:
    """Refuse ``path`` unless its header lists exactly the tensors of ``plan``'s network, with
    their shapes; the message is ``<path> <problem> (<which tensor>): <fix>``."""
    found: dict[str, Any] = {}
    for name, entry in _safetensors_header(path).items():
        if name != "__metadata__":
            shape = entry.get("shape") if isinstance(entry, dict) else None
            ok = isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)
            found[name] = tuple(shape) if ok else "no valid shape"
    expected = state_shapes(plan)
    if found == expected:
        return
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    wrong = [n for n in expected if n in found and found[n] != expected[n]]
    if wrong:
        detail = f"{wrong[0]} is {found[wrong[0]]}, the config needs {expected[wrong[0]]}"
    elif missing:
        detail = f"{missing[0]} is missing"
    else:
        detail = f"{extra[0][:80]!r} is not one of its tensors"
    raise CheckpointError(f"{path} {problem} ({plan.name}: {detail}): {fix}")


def _safetensors_metadata(path: Path) -> dict[str, str]:
    metadata = _safetensors_header(path).get("__metadata__") or {}
    if not isinstance(metadata, dict) or metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} was not written by DCGAN Studio (no '{CHECKPOINT_FORMAT}' metadata): "
            "point --checkpoint at a run folder or one of its checkpoints"
        )
    return metadata


def read_weights_only(path: Path) -> dict[str, Any]:
    """``torch.load(weights_only=True)``: tensors and plain values; never runs pickled code."""
    try:
        with warnings.catch_warnings():  # torch warns (two lines) of a raw pickle's protocol
            warnings.simplefilter("ignore")
            state = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from exc
    except pickle.UnpicklingError as exc:
        if "GLOBAL" not in str(exc) and not _is_raw_pickle(path):  # bytes that are no pickle
            raise CheckpointError(
                f"{path} cannot be read (it is not a training state DCGAN "
                "Studio wrote): it is damaged"
            ) from exc
        raise CheckpointError(
            f"refused to load {path}: it holds Python objects other than tensors and plain values, "
            "which could run code; only load checkpoints written by DCGAN Studio"
        ) from exc
    except Exception as exc:  # damaged bytes make the unpickler fail in many ways (KeyError: 57)
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise CheckpointError(f"{path} cannot be read ({reason}): it is damaged") from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} does not hold a DCGAN Studio training state")
    return state


def _is_raw_pickle(path: Path) -> bool:
    """A pickle's PROTO opcode first (torch.save writes a zip): what the weights-only
    unpickler calls an "unsupported operand" may then be a class it cannot even name."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def open_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """A run folder (its newest checkpoint), a checkpoint folder, or a generator.safetensors."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path} does not exist: give a run folder or a checkpoint")
    if path.is_dir() and (path / "checkpoints").is_dir():
        steps = checkpoint_steps(path / "checkpoints")
        if not steps:
            raise CheckpointError(f"the run {path} has no checkpoint yet: train it first")
        path = path / "checkpoints" / checkpoint_name(steps[-1])
    if path.is_file():
        if path.suffix != ".safetensors":
            raise CheckpointError(
                f"{path} is not a checkpoint: give a run folder, a checkpoint folder or a "
                f"{GENERATOR_FILE}"
            )
        generator_file, folder = path, path.parent
    else:
        folder, generator_file = path, path / GENERATOR_FILE
        if not generator_file.is_file():
            raise CheckpointError(
                f"{folder} holds no {GENERATOR_FILE}: give a run folder or a checkpoint folder"
            )
    metadata = _safetensors_metadata(generator_file)
    try:
        config = RunConfig.from_json(metadata["config"])
        step = int(metadata["step"])
        if step < 0:
            raise ValueError(f"step {step}")
    except (KeyError, ValueError, TypeError, ConfigError) as exc:
        raise CheckpointError(f"{generator_file} has no valid run configuration ({exc})") from exc
    return Checkpoint(folder, step, config, generator_file.name)
