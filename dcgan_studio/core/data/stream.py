"""Images too many to keep decoded in memory: read from their files a batch ahead, by threads.

A dataset is decoded into memory as uint8 when it fits in the memory budget (``memory_budget``:
``data.memory_limit_mb``, or half the memory the machine has free); otherwise its images stay in
their files and a ``StreamedImages`` stands in for the uint8 tensor. Indexing it with a batch of
indices decodes those files with a pool of threads (Pillow releases the GIL while it decodes), and
``prefetch`` starts on the next batch while the current one trains, so the training thread finds
its batch ready.

A file that was fine when the folder was scanned can still fail later (deleted, truncated, or a
damage that only a full decode finds: the scan of a streamed folder reads headers only). Such a
file never ends an epoch: the next readable image takes its place, the file is remembered and is
not tried again, and ``failed`` lists it by reason for the person.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from dcgan_studio.errors import DatasetError

log = logging.getLogger(__name__)
Decode = Callable[[Path], "np.ndarray | str"]  # uint8 (C, S, S), or the reason it failed
FALLBACK_FREE_BYTES = 4 * 2**30  # when the free memory cannot be read


def free_memory_bytes() -> int:
    """Memory the machine can give without swapping (Linux: MemAvailable)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_FREE_BYTES


def memory_budget(limit_mb: int | None) -> int:
    """Bytes of decoded images a dataset may keep in memory."""
    return limit_mb * 2**20 if limit_mb is not None else free_memory_bytes() // 2


def default_workers() -> int:
    return max(2, min(8, os.cpu_count() or 1))


class StreamedImages:
    """uint8 (N, C, S, S) that lives in files: ``images[indices]`` decodes those files."""

    dtype = torch.uint8

    def __init__(
        self,
        files: Sequence[Path],
        shape: tuple[int, int, int],
        decode: Decode,
        workers: int | None = None,
        keep: int = 4096,
    ) -> None:
        if not files:
            raise ValueError("StreamedImages needs at least one file")
        self.files = tuple(files)
        self.shape = (len(self.files), *shape)
        self.workers = workers or default_workers()
        self._decode = decode
        self._keep = keep  # prefetched images held at most (a few batches)
        self._pool = ThreadPoolExecutor(self.workers, "stream-decode")
        self._lock = threading.Lock()
        self._ahead: OrderedDict[int, Future] = OrderedDict()  # index -> decode started early
        self._bad: dict[int, str] = {}  # index -> reason, found while training
        self.reads = 0  # files decoded so far (prefetched or not)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def failed(self) -> dict[str, tuple[str, ...]]:
        """reason -> files that could not be read while training (each replaced by another)."""
        with self._lock:
            bad = dict(self._bad)
        out: dict[str, list[str]] = {}
        for index, reason in sorted(bad.items()):
            out.setdefault(reason, []).append(str(self.files[index]))
        return {reason: tuple(paths) for reason, paths in out.items()}

    def prefetch(self, indices: torch.Tensor | Sequence[int]) -> None:
        """Start decoding these images now; a later ``images[indices]`` takes them."""
        with self._lock:
            for i in _as_list(indices):
                if i not in self._ahead and i not in self._bad:
                    self._ahead[i] = self._submit(i)
            while len(self._ahead) > self._keep:  # never held: the sampler moved on
                self._ahead.popitem(last=False)[1].cancel()

    def __getitem__(self, indices: torch.Tensor | Sequence[int] | int) -> torch.Tensor:
        single = isinstance(indices, (int, np.integer)) or (
            isinstance(indices, torch.Tensor) and indices.ndim == 0
        )
        wanted = [int(indices)] if single else _as_list(indices)
        with self._lock:
            futures = [self._ahead.pop(i, None) or self._submit(i) for i in wanted]
        out = torch.empty((len(wanted), *self.shape[1:]), dtype=torch.uint8)
        pixels = out.numpy()  # the same memory: decoded arrays (often read-only) are copied in
        for k, (index, future) in enumerate(zip(wanted, futures)):
            result = future.result()
            pixels[k] = self._replacement(index, result) if isinstance(result, str) else result
        return out[0] if single else out

    def _submit(self, index: int) -> Future:
        self.reads += 1
        return self._pool.submit(self._decode, self.files[index])

    def _replacement(self, index: int, reason: str) -> np.ndarray:
        """The next readable image after ``index`` (wrapping round); ``index`` is marked bad."""
        with self._lock:
            if index not in self._bad:
                self._bad[index] = reason
                log.warning(
                    "%s could not be read while training (%s): another image takes its place",
                    self.files[index],
                    reason,
                )
        n = len(self)
        for step in range(1, n):
            other = (index + step) % n
            with self._lock:
                if other in self._bad:
                    continue
            result = self._decode(self.files[other])
            if not isinstance(result, str):
                return result
            with self._lock:
                self._bad[other] = result
        raise DatasetError(
            f"none of the {n} image files can be read any more (the first: "
            f"{self.files[0]}): check that the folder is still there and "
            "readable, then resume the run"
        )

    def close(self) -> None:
        with self._lock:
            for future in self._ahead.values():
                future.cancel()
            self._ahead.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)


def _as_list(indices: torch.Tensor | Sequence[int]) -> list[int]:
    if isinstance(indices, torch.Tensor):
        return indices.detach().cpu().reshape(-1).tolist()
    return [int(i) for i in indices]
