"""A run's steps as TensorBoard events too (``--tensorboard``, the Training panel's TensorBoard
box): RUN/tensorboard/events.out.tfevents.*, so that ``tensorboard --logdir`` on a runs folder
shows studio runs beside a person's other experiments.

    loss/D, loss/G                  the minimax loss of D and the non-saturating loss of G
    D/real, D/fake, D/fake after    D(x), D(G(z)) before D's update and after it
    gradient norm/D, .../G          the L2 norms of each network's gradients
    learning rate/D, .../G          the rates in use
    speed/images per second
    quality/KID, quality/KID std, quality/FD, quality/confident, quality/coverage
                                    each score quality.jsonl gains (the Quality tab's, or
                                    ``score --save``'s), at its step, "(G (EMA))" when of G (EMA)
    samples/G, samples/G (EMA)      the fixed-noise grid

Only the process that writes the run folder writes them (rank 0 under torchrun).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from dcgan_studio.core.follow import JsonlTail
from dcgan_studio.core.grid import make_grid
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import SampleGridSnapshot, ScalarSnapshot
from dcgan_studio.errors import RunDirectoryError, StudioError

log = logging.getLogger(__name__)

FOLDER = "tensorboard"
EXTRA = "pip install 'dcgan-studio[tensorboard]'"
SCALARS = {  # tag: the ScalarSnapshot field
    "loss/D": "loss_d",
    "loss/G": "loss_g",
    "D/real": "d_x",
    "D/fake": "d_g_z1",
    "D/fake after": "d_g_z2",
    "gradient norm/D": "grad_norm_d",
    "gradient norm/G": "grad_norm_g",
    "learning rate/D": "lr_d",
    "learning rate/G": "lr_g",
    "speed/images per second": "images_per_second",
}
QUALITY = {"kid": "KID", "kid_std": "KID std", "fd": "FD", "confident": "confident",
           "coverage": "coverage"}  # fmt: skip
# A score kept while a session log is open is read by it (at its next step or its close), else
# written by whoever kept it: each once. The session marks itself open in the events folder and
# both sides decide under one lock, this process's threads and other processes alike.
SESSION = ".session"  # in RUN/tensorboard while a session log is open: "process PID"
_SCORES = threading.Lock()


@contextlib.contextmanager
def _scores_held(folder: Path) -> Iterator[None]:
    """One at a time, over the run's scores and its session marker: a thread lock, and an
    flock on ``folder/.scores.lock`` for other processes (where the OS has flock)."""
    with _SCORES, contextlib.ExitStack() as held:
        try:
            import fcntl

            folder.mkdir(parents=True, exist_ok=True)
            handle = held.enter_context(open(folder / ".scores.lock", "a"))  # noqa: SIM115
            fcntl.flock(handle, fcntl.LOCK_EX)  # let go when the file closes
        except ImportError:  # not POSIX: this process's threads are all that can be held
            pass
        except OSError as exc:  # a read-only folder, a file system without flock: the same
            log.warning("scores of %s held in this process only: %s", folder.parent, exc)
        yield


def _session_open(run: RunDirectory) -> bool:
    """A session log of the run is open now: its marker is there and a trainer holds the run
    (a killed session leaves its marker, but not its lock)."""
    return (run.root / FOLDER / SESSION).is_file() and run.live_holder() is not None


def check_available(wanted: bool) -> None:
    """Refuse a run that asks for TensorBoard events where the package is missing: before any
    folder is made."""
    if not wanted:
        return
    try:
        import tensorboard  # noqa: F401
    except ImportError as exc:
        raise StudioError(
            "TensorBoard logging needs the tensorboard package, which is not installed: "
            f"{EXTRA}, or train without --tensorboard"
        ) from exc


class TensorBoardLog:
    """The event file of one training session of a run (a resume starts another beside it)."""

    def __init__(self, run: RunDirectory, step: int = 0) -> None:
        """``step``: where this session starts; events logged past it by a session that ended
        without a checkpoint there (a crash) are dropped by TensorBoard (``purge_step``)."""
        check_available(True)
        from torch.utils.tensorboard import SummaryWriter

        self.folder = run.root / FOLDER
        try:
            self._events = SummaryWriter(
                log_dir=str(self.folder), purge_step=step + 1 if step else None
            )
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write the TensorBoard events in {self.folder} ({exc.strerror or exc}): "
                "free space or fix the folder's permissions, or train without TensorBoard"
            ) from exc
        self._quality = JsonlTail(run.quality_path)
        self._marker = self.folder / SESSION
        with _scores_held(self.folder):
            # scores kept before this session went out with their own (a fresh run has none; a
            # resumed one may have scores past its checkpoint, which the next ones replace)
            self._quality.read()
            try:
                self._marker.write_text(f"process {os.getpid()}\n", encoding="utf-8")
            except OSError as exc:
                self._events.close()
                raise RunDirectoryError(
                    f"cannot write {self._marker} ({exc.strerror or exc}): free space or fix "
                    "the folder's permissions, or train without TensorBoard"
                ) from exc

    def scalars(self, snap: ScalarSnapshot) -> None:
        for tag, field in SCALARS.items():
            value = getattr(snap, field)
            if value == value:  # not NaN (a side not stepped yet)
                self._events.add_scalar(tag, value, snap.step)
        self._new_scores()
        self._events.flush()  # a person watching in TensorBoard sees each logged step

    def grid(self, grid: SampleGridSnapshot) -> None:
        for label, images in (("G", grid.images), ("G (EMA)", grid.ema_images)):
            if images is not None:
                picture = make_grid(np.asarray(images))  # uint8 (H, W, C)
                self._events.add_image(f"samples/{label}", picture, grid.step, dataformats="HWC")

    def _new_scores(self) -> None:
        records, _ = self._quality.read()
        _add_scores(self._events, records)

    def close(self) -> None:
        """The scores that landed since the last logged step, then the file closed. Never
        raises: a failure here must not keep the run locked (the engine closes it last)."""
        try:
            with _scores_held(self.folder):
                self._marker.unlink(missing_ok=True)
                self._new_scores()
            self._events.close()
        except Exception:  # noqa: BLE001 (TensorBoard's writer thread re-raises what it met)
            log.warning("could not close the TensorBoard events in %s", self.folder, exc_info=True)


def keep_score(run: RunDirectory, record: dict[str, Any]) -> str | None:
    """A score made beside training (the window's Quality tab) appended to quality.jsonl, and to
    the run's events where it writes them: by its open session log, or here once the session
    has closed it (the score of the run's last G comes after). What kept it out of the events,
    in words."""
    if not _wanted(run):
        run.append_quality(record)
        return None
    with _scores_held(run.root / FOLDER):
        run.append_quality(record)
        left_to_the_session = _session_open(run)
    # decided with the append: a session that opens from now on reads this line as already out
    return None if left_to_the_session else _write_score(run, record)


def add_score(run: RunDirectory, record: dict[str, Any]) -> str | None:
    """A score kept after training (``score --save``) into the run's events too, where the run
    writes them; what kept it out, in words (the score itself is kept in quality.jsonl)."""
    return _write_score(run, record) if _wanted(run) else None


def _write_score(run: RunDirectory, record: dict[str, Any]) -> str | None:
    """The score into an event file of its own; what kept it out, in words."""
    try:
        check_available(True)
        from torch.utils.tensorboard import SummaryWriter

        events = SummaryWriter(log_dir=str(run.root / FOLDER))
        try:
            _add_scores(events, [record])
        finally:
            events.close()
    except (StudioError, OSError) as exc:
        return f"not added to the run's TensorBoard events ({exc})"
    return None


def _wanted(run: RunDirectory) -> bool:
    """The run asks for TensorBoard events (its settings as they are now)."""
    try:
        return run.read_config().runtime.tensorboard
    except StudioError:
        return False


def _add_scores(events: Any, records: list[dict[str, Any]]) -> None:
    for record in records:
        step = record.get("step")
        if type(step) is not int:
            continue
        which = " (G (EMA))" if record.get("generator") == "G (EMA)" else ""
        for key, name in QUALITY.items():
            value: Any = record.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                events.add_scalar(f"quality/{name}{which}", float(value), step)
