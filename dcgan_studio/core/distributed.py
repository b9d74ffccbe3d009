"""Training in several processes under ``torchrun``: PyTorch's DistributedDataParallel, the
processes in lockstep, one of them writing the run.

How the processes stay one run:
- G and D are each wrapped in DDP, which averages their gradients in the backward pass, so every
  process takes the same optimizer steps. On CUDA, BatchNorm becomes SyncBatchNorm (the batch's
  statistics over every process); on the CPU it cannot (SyncBatchNorm refuses CPU tensors), so
  each process normalises by its own part of the batch.
- ``broadcast_buffers=False`` (``forward_sync_buffers=False`` since torch 2.14): D runs two
  forwards (real, then fake) before one backward, as on one process. DDP's default would copy
  rank 0's BatchNorm buffers into each process at every forward, in place, under the first
  forward's graph (pytorch/pytorch#22095, #175024), and only at the next forward, so they
  differ at a checkpoint. Instead ``Team.agree`` averages every
  BatchNorm statistic once per iteration, in one all_reduce that also carries the losses (what
  is logged is the whole batch's), each process's worst loss (so that all judge divergence
  alike) and whether any process was asked to stop (so that all stop at the same step).
- Every process keeps the whole batch order and noise stream, from the seed, and takes its part
  of the global batch (``--batch-size`` per process): the checkpoint rank 0 writes is every
  process's, and the data is sharded and reshuffled each epoch as DistributedSampler would.
- Rank 0 alone writes the run folder. It sends the others the run's settings, and on a resume
  the checkpoint's files, so they need no shared folder.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch

from dcgan_studio.errors import StudioError

# what torchrun sets in each process it starts
ENVIRONMENT = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
# why a process asks to stop, in the mask that ``Team.agree`` or-s over the processes
STOP_ASKED = 1  # Ctrl+C, or the window's Stop
STOP_OUT_OF_TIME = 2  # --max-seconds
# a collective waits this long for a slow process (rank 0 saving a checkpoint) before failing
TIMEOUT = timedelta(minutes=10)


class Team:
    """The processes training one run; alone (``joined`` False) outside torchrun."""

    def __init__(self, rank: int = 0, world: int = 1, local_rank: int = 0) -> None:
        self.rank, self.world, self.local_rank = rank, world, local_rank
        self.joined = False
        self.backend = ""
        self._phase = "waiting"  # what the others wait for from rank 0: "start", then "go"

    def built(self) -> None:
        """This process's trainer is built: the others' are too (DDP's construction is a
        collective), so they now wait for rank 0's ``go``."""
        if self._phase == "start":
            self._phase = "go"

    @property
    def leader(self) -> bool:
        return self.rank == 0

    def describe(self) -> str:
        """How the run is spread, in words: "2 processes on 1 machine (gloo, CPU)"."""
        nodes = int(os.environ.get("GROUP_WORLD_SIZE", "0") or 0) or None
        where = f" on {nodes} machines" if nodes and nodes > 1 else ""
        return f"{self.world} process{'es' * (self.world > 1)}{where} ({self.backend})"

    # ---- the networks ---------------------------------------------------------------------------
    def wrap(self, module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        """``module`` as the training passes call it: itself when alone, else in DDP."""
        if not self.joined:
            return module
        import inspect

        from torch.nn.parallel import DistributedDataParallel

        # no buffer copies at each forward (see above): named forward_sync_buffers since torch
        # 2.14, broadcast_buffers before
        options = {"broadcast_buffers": False}
        if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters:
            options = {"forward_sync_buffers": False}
        if device.type == "cuda":  # in place: the module keeps its parameters and buffers
            module = torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
            options["device_ids"] = [device.index]
        return DistributedDataParallel(module, **options)

    def agree(
        self,
        buffers: list[torch.Tensor],
        values: list[torch.Tensor],
        worst: torch.Tensor,
        stop: int,
    ) -> tuple[list[torch.Tensor], torch.Tensor, int]:
        """One all_reduce at the end of an iteration: ``buffers`` (BatchNorm's running
        statistics) averaged in place; ``values`` (this process's losses and D outputs)
        averaged; the worst loss of any process; the stop requests of every process (a bit
        mask: ``STOP_ASKED``, ``STOP_OUT_OF_TIME``), or-ed."""
        if not self.joined:
            return values, worst, stop
        device = worst.device
        own = torch.zeros(2, self.world, device=device)  # a slot per process: the sum holds all
        own[0, self.rank] = worst.float()
        own[1, self.rank] = float(stop)
        parts = [b.detach().reshape(-1).float() for b in buffers]
        parts += [v.detach().reshape(-1).float() for v in values]
        parts.append(own.reshape(-1))
        flat = torch.cat(parts)
        torch.distributed.all_reduce(flat)
        at = 0
        for b in buffers:
            b.copy_(flat[at : at + b.numel()].view_as(b) / self.world)
            at += b.numel()
        averaged = []
        for v in values:
            averaged.append(flat[at : at + v.numel()].view_as(v) / self.world)
            at += v.numel()
        slots = flat[at:].view(2, self.world)
        stops = 0
        for mask in slots[1].tolist():  # a device sync: one small one an iteration
            stops |= int(mask)
        return averaged, slots[0].max(), stops

    def same_everywhere(self, modules: dict[str, torch.nn.Module]) -> str | None:
        """Whether every process holds the same weights and BatchNorm statistics as rank 0,
        compared exactly; what differs, in words, or None. A check at the end of a run."""
        if not self.joined:
            return None
        names, tensors = [], []
        for label, module in modules.items():
            for name, t in module.state_dict().items():
                names.append(f"{label} {name}")
                tensors.append(t.detach().reshape(-1).double())
        mine = torch.cat(tensors)
        gathered = [torch.empty_like(mine) for _ in range(self.world)]
        torch.distributed.all_gather(gathered, mine)
        return first_difference([g.cpu() for g in gathered], names, [t.numel() for t in tensors])

    # ---- what rank 0 sends the others -----------------------------------------------------------
    def send_start(self, config_json: str, checkpoint: Path | None) -> None:
        """Rank 0: the run's settings, and the checkpoint's files when it resumes one."""
        if not self.joined:
            return
        self._phase = "start"
        files = None
        if checkpoint is not None:
            files = {p.name: p.read_bytes() for p in sorted(checkpoint.iterdir()) if p.is_file()}
        message: list[Any] = [(config_json, checkpoint.name if checkpoint else None, files)]
        torch.distributed.broadcast_object_list(message, src=0)

    def go(self) -> None:
        """Rank 0: the run is started (or resumed) and written; the others may train."""
        if self.joined and self._phase == "go":
            torch.distributed.broadcast_object_list([None], src=0)
            self._phase = "training"

    def refuse(self, problem: str) -> None:
        """Rank 0: the run cannot start (``problem``): the others are told where they wait,
        before their trainer or after it, and end with a line of their own. Where they wait
        elsewhere (rank 0 failed while the trainers were being built) they find rank 0 gone."""
        if self.joined and self._phase in ("waiting", "go"):
            refusal: list[Any] = [("refused", problem, None)]
            torch.distributed.broadcast_object_list(refusal, src=0)
            self._phase = "refused"

    def await_go(self) -> None:
        """The other ranks, their trainer built: wait for rank 0's ``go`` or refusal."""
        message: list[Any] = [None]
        torch.distributed.broadcast_object_list(message, src=0)
        _raise_if_refused(message[0])

    def receive_start(self) -> tuple[str, Path | None, tempfile.TemporaryDirectory | None]:
        """The other ranks: what ``send_start`` sent; a checkpoint is put in a temporary folder
        (delete it once loaded)."""
        message: list[Any] = [None]
        torch.distributed.broadcast_object_list(message, src=0)
        _raise_if_refused(message[0])
        config_json, name, files = message[0]
        if files is None:
            return config_json, None, None
        folder = tempfile.TemporaryDirectory(prefix="dcgan-studio-rank-")
        path = Path(folder.name) / name
        path.mkdir()
        for file_name, data in files.items():
            (path / file_name).write_bytes(data)
        return config_json, path, folder

    def leave(self) -> None:
        """The process group destroyed, as torch asks at the end of a process (cli then ends
        the process at once: see ``cli._end_now``)."""
        if self.joined and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        self.joined = False


def _raise_if_refused(message: Any) -> None:
    if isinstance(message, tuple) and message[0] == "refused":
        raise StudioError(f"process 0 did not start the run: {message[1]}")


def first_difference(
    gathered: list[torch.Tensor], names: list[str], sizes: list[int]
) -> str | None:
    """The first tensor in which a process differs from rank 0, in words; None if none does.
    ``gathered``: each process's tensors flattened and joined, in ``names`` order."""
    for rank, other in enumerate(gathered[1:], start=1):
        if torch.equal(other, gathered[0]):
            continue
        at = 0
        for name, size in zip(names, sizes, strict=True):
            if not torch.equal(other[at : at + size], gathered[0][at : at + size]):
                return f"process {rank} differs from process 0 in {name}"
            at += size
        return f"process {rank} differs from process 0"
    return None


_team = Team()


def team() -> Team:
    """The processes of this run: joined under torchrun by ``join()``, else this one alone."""
    return _team


def launched_by_torchrun() -> bool:
    return all(name in os.environ for name in ENVIRONMENT)


def join() -> Team:
    """Join the other processes torchrun started (gloo for CPU tensors, NCCL for CUDA ones,
    each process on the GPU of its LOCAL_RANK); alone outside torchrun."""
    global _team
    if not launched_by_torchrun() or _team.joined:
        return _team
    try:
        rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    except ValueError as exc:
        raise StudioError(
            f"torchrun's RANK, WORLD_SIZE and LOCAL_RANK must be whole numbers ({exc}): start "
            "the run with torchrun, not by setting them by hand"
        ) from exc
    backend = "gloo"
    if torch.cuda.is_available() and torch.distributed.is_nccl_available():
        if local < torch.cuda.device_count():  # more processes than GPUs may train on the CPU
            torch.cuda.set_device(local)
        backend = "cpu:gloo,cuda:nccl"
    try:
        torch.distributed.init_process_group(backend=backend, timeout=TIMEOUT)
    except (RuntimeError, ValueError) as exc:
        raise StudioError(
            f"process {rank} could not join the others at {os.environ['MASTER_ADDR']}:"
            f"{os.environ['MASTER_PORT']} ({str(exc).splitlines()[0]}): check that every "
            "machine reaches that address and port"
        ) from exc
    _team = Team(rank, world, local)
    _team.joined = True
    _team.backend = "gloo, CPU" if backend == "gloo" else "gloo for the CPU, NCCL for CUDA"
    return _team


def failure_words(exc: BaseException) -> str:
    """A collective's failure in a few words: gloo's first sentence, without its source path."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = re.sub(r"^\[[^\]]*\]\s*", "", text)
    return text.split(". ")[0][:160]


def lost_the_others(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective that failed because another process ended: the peer's
    connection closed or reset (gloo's and NCCL's words for it), not a defect of this one."""
    text = str(exc)
    words = ("Connection closed by peer", "Connection reset by peer", "Broken pipe")
    return any(w in text for w in words)


def timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective that waited ``TIMEOUT`` for the others in vain."""
    return "Timed out" in str(exc) or "timed out" in str(exc)


def training_device(team: Team, device: torch.device) -> torch.device:
    """Each process on its own GPU, the one of its LOCAL_RANK."""
    if not team.joined or device.type != "cuda":
        return device
    if team.local_rank >= torch.cuda.device_count():
        raise StudioError(
            f"process {team.rank} has LOCAL_RANK {team.local_rank} and this machine has "
            f"{torch.cuda.device_count()} GPU(s): start at most that many processes a machine "
            "(--nproc-per-node), or train on the CPU (--device cpu)"
        )
    if device.index is not None and team.world > 1 and device.index != team.local_rank:
        raise StudioError(
            f"--device {device} would put every process on one GPU: give --device cuda (each "
            "process takes the GPU of its LOCAL_RANK)"
        )
    return torch.device("cuda", team.local_rank)
