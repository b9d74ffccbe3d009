"""What the inspection runs off the GUI thread: the feature maps and filters of a saved
checkpoint, for a step picked on the history scrubber or a run that is not training.

One worker reads them, one read at a time under one key: a read asked for while another waits
replaces it, and the answer of a read that a newer one (or ``cancel``) has replaced is dropped by
the worker's generation guard. The checkpoint last opened stays loaded for the next read, and its
images for the run's next checkpoint when that sees the same data; only the worker's thread
changes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from dcgan_studio.config import RunConfig
from dcgan_studio.core.probes import CheckpointProbe, layer_spec
from dcgan_studio.core.runs import open_checkpoint
from dcgan_studio.core.snapshots import FeatureMapSnapshot, FiltersSnapshot, ProbeRequest
from dcgan_studio.errors import CheckpointError
from dcgan_studio.gui.workers import Worker

READ = "read"  # the key of every checkpoint read


def same_data(a: RunConfig, b: RunConfig) -> bool:
    """Both checkpoints see the same images (same dataset, size and channels)."""
    return (a.data, a.model.image_size, a.model.channels) == (
        b.data,
        b.model.image_size,
        b.model.channels,
    )


class CheckpointReads:
    def __init__(self, parent: QObject | None = None) -> None:
        self._worker = Worker("dcgan-checkpoint", parent)
        self._probe: CheckpointProbe | None = None  # the checkpoint last opened, kept for reuse

    def read(
        self,
        path: Path,
        request: ProbeRequest,
        on_done: Callable[[tuple[FeatureMapSnapshot, FiltersSnapshot]], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """``request``'s feature maps and the filters of the checkpoint at ``path``."""
        self._worker.submit(lambda: self._read(path, request), on_done, key=READ, on_error=on_error)

    def cancel(self) -> None:
        """Drop the answer of the read under way and forget the one waiting."""
        self._worker.cancel(READ)

    def forget(self) -> None:
        """Another run: drop its reads and, after the read under way, its loaded checkpoint."""
        self._worker.cancel(READ)
        if self._probe is not None or self._worker.busy:
            self._worker.submit(self._forget)

    def shutdown(self, timeout: float = 10.0) -> bool:
        return self._worker.shutdown(timeout)

    # ---- on the worker's thread ---------------------------------------------------------------
    def _read(
        self, path: Path, request: ProbeRequest
    ) -> tuple[FeatureMapSnapshot, FiltersSnapshot]:
        probe = self._probe
        if probe is None or probe.checkpoint.path != path:
            checkpoint = open_checkpoint(path)
            same = probe is not None and same_data(probe.checkpoint.config, checkpoint.config)
            probe = self._probe = CheckpointProbe(checkpoint, probe.dataset if same else None)
        network = probe.generator if request.network == "g" else probe.discriminator
        try:
            layer_spec(network, request.layer)
        except ValueError as exc:  # the settings changed since this run: not a bug to log
            raise CheckpointError(str(exc)) from exc
        return probe.feature_maps(request), probe.filters()

    def _forget(self) -> None:
        self._probe = None
