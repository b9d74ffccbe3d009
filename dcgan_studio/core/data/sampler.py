"""The order of the batches: shuffled, drop-last, reproducible from a seed, and resumable (its
state is part of every checkpoint, so a resumed run sees the same batches as one that never
stopped). Under torchrun every process keeps the whole order and takes its part of each global
batch, so that the data is sharded and reshuffled each epoch and every process's state is the
same one a checkpoint holds."""

from __future__ import annotations

import torch

from dcgan_studio.errors import DatasetError


class BatchSampler:
    """Shuffled, drop-last batches of indices, reproducible from a seed and resumable.
    ``batch_size`` is the global batch; ``part`` (rank, processes): which slice of it this
    process takes."""

    def __init__(
        self, size: int, batch_size: int, seed: int, part: tuple[int, int] = (0, 1)
    ) -> None:
        self.size, self.batch_size = size, batch_size
        rank, processes = part
        share = batch_size // processes
        self._slice = slice(rank * share, (rank + 1) * share)
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch, self.cursor = 0, 0
        self.order = torch.randperm(size, generator=self.generator)

    @property
    def batches_per_epoch(self) -> int:
        return self.size // self.batch_size

    @property
    def epoch_progress(self) -> float:
        return self.cursor / (self.batches_per_epoch * self.batch_size)

    def peek_indices(self) -> torch.Tensor:
        """The batch the next ``next_indices()`` returns, without moving on (for prefetching)."""
        if self.cursor + self.batch_size > self.size:  # the next epoch's order, from a copy
            generator = torch.Generator().set_state(self.generator.get_state())
            return torch.randperm(self.size, generator=generator)[: self.batch_size][self._slice]
        return self.order[self.cursor : self.cursor + self.batch_size][self._slice]

    def next_indices(self) -> torch.Tensor:
        if self.cursor + self.batch_size > self.size:
            self.epoch += 1
            self.cursor = 0
            self.order = torch.randperm(self.size, generator=self.generator)
        indices = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return indices[self._slice]

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {
            "generator": self.generator.get_state(),
            "order": self.order.clone(),
            "epoch_cursor": torch.tensor([self.epoch, self.cursor], dtype=torch.int64),
        }

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if state["order"].numel() != self.size:
            raise DatasetError(
                f"the checkpoint was made on a dataset of {state['order'].numel()} images, "
                f"this one has {self.size}: resume with the dataset the run started with"
            )
        order, (epoch, cursor) = state["order"], state["epoch_cursor"].tolist()
        # a damaged order would index past the images in the middle of an epoch
        if (
            not torch.equal(order.sort().values, torch.arange(self.size))
            or epoch < 0
            or not 0 <= cursor <= self.size
        ):
            raise ValueError("the saved batch order is not a permutation of the dataset")
        self.generator.set_state(state["generator"])
        self.order = order.clone()
        self.epoch, self.cursor = int(epoch), int(cursor)
