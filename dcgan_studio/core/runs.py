"""The run directory: everything a run leaves on disk, written so that nothing saved is ever lost.

    RUN/config.json                        the RunConfig
    RUN/metrics.jsonl                      one JSON line per logged step
    RUN/alerts.jsonl                       one JSON line per alert raised (D winning, collapse,
                                           divergence...) with the last checkpoint before it
    RUN/samples/step-0000123.png           the fixed-noise grid, every sample_every steps
    RUN/checkpoints/step-0000300/          one folder per checkpoint:
        generator.safetensors              G's weights and buffers (config in the metadata)
        discriminator.safetensors          D's weights and buffers
        training_state.pt                  optimizers, RNG states, data order: tensors and plain
                                           values only, read with torch.load(weights_only=True)

Every file is written durably: a temporary file in the same folder, flush, fsync, ``os.replace``,
then fsync of the folder. A checkpoint folder is filled under a temporary name and renamed into
place, so a crash or a failed write mid-save leaves the previous checkpoint whole and no temporary
files behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import re
import shutil
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from dcgan_studio.config import ModelConfig, RunConfig, parse_json
from dcgan_studio.core.architecture import (
    NetworkPlan,
    discriminator_plan,
    generator_plan,
    state_shapes,
)
from dcgan_studio.errors import CheckpointError, ConfigError, RunDirectoryError

CHECKPOINT_FORMAT = "dcgan-studio/1"
GENERATOR_FILE = "generator.safetensors"
DISCRIMINATOR_FILE = "discriminator.safetensors"
STATE_FILE = "training_state.pt"
STATE_MARGIN = 256 * 2**20  # bytes of a training state beyond Adam's moments (batch order, noise)
_CHECKPOINT_NAME = re.compile(r"^step-(\d{7,})$")
# what an interrupted save leaves: ".step-0000300.tmp-1a2b3c4d" (being filled), ".old-" (being
# replaced), ".del-" (being pruned), ".metrics.jsonl.tmp-1a2b3c4d" (a file being written)
_LEFTOVER = re.compile(r"^\.(.+)\.(tmp|old|del)-[0-9a-f]{8}$")


# ---- durable writes -------------------------------------------------------------------------
def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def durable_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either the old file or the whole new one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def durable_write_text(path: Path, text: str) -> None:
    durable_write_bytes(path, text.encode("utf-8"))


def checkpoint_name(step: int) -> str:
    return f"step-{step:07d}"


# ---- checkpoints ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Checkpoint:
    path: Path  # the checkpoint folder
    step: int
    config: RunConfig

    def generator_state(self) -> dict[str, torch.Tensor]:
        return _read_safetensors(self.path / GENERATOR_FILE)

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
        self, model: ModelConfig, against: str, fix: str, discriminator: bool = True
    ) -> None:
        """Refuse weights whose tensors are not those of ``model``'s networks, from the files'
        headers alone: before any network is built, so a forged header costs no memory.
        The message: ``<file> does not match <against> (<which tensor>): <fix>``."""
        problem = f"does not match {against}"
        check_weights_file(self.path / GENERATOR_FILE, generator_plan(model), problem, fix)
        if discriminator:
            check_weights_file(
                self.path / DISCRIMINATOR_FILE, discriminator_plan(model), problem, fix
            )


def _tensors_for_safetensors(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # safetensors wants dense, contiguous, unshared tensors (channels_last weights are neither)
    return {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}


def save_checkpoint_folder(
    folder: Path,
    step: int,
    config: RunConfig,
    generator_state: Mapping[str, torch.Tensor],
    discriminator_state: Mapping[str, torch.Tensor],
    training_state: Mapping[str, Any],
) -> Path:
    """Write a whole checkpoint into ``folder`` (replacing one of that name) atomically."""
    folder = Path(folder)
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    metadata = {"format": CHECKPOINT_FORMAT, "step": str(step), "config": config.to_json()}
    try:
        tmp.mkdir()
        durable_write_bytes(
            tmp / GENERATOR_FILE,
            save_safetensors_bytes(_tensors_for_safetensors(generator_state), metadata),
        )
        durable_write_bytes(
            tmp / DISCRIMINATOR_FILE,
            save_safetensors_bytes(_tensors_for_safetensors(discriminator_state), metadata),
        )
        buffer = io.BytesIO()
        torch.save(dict(training_state), buffer)
        durable_write_bytes(tmp / STATE_FILE, buffer.getvalue())
        _fsync_dir(tmp)
        if folder.exists():  # the same step saved again (a resume stopped at once)
            old = parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(parent)
    return folder


def save_generator_file(
    path: Path, step: int, config: RunConfig, state: Mapping[str, torch.Tensor]
) -> Path:
    """G's weights alone, in the checkpoint's format (``open_checkpoint`` reads it)."""
    metadata = {"format": CHECKPOINT_FORMAT, "step": str(step), "config": config.to_json()}
    durable_write_bytes(
        Path(path), save_safetensors_bytes(_tensors_for_safetensors(state), metadata)
    )
    return Path(path)


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    _check_size(path, _safetensors_size(path), "its header promises")
    try:
        return load_safetensors_bytes(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete") from exc
    except (SafetensorError, ValueError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}): it is damaged; "
            "use another checkpoint of the run"
        ) from exc


def _safetensors_size(path: Path) -> int:
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
        latest = RunDirectory(path).latest_checkpoint()
        if latest is None:
            raise CheckpointError(f"the run {path} has no checkpoint yet: train it first")
        path = latest
    if path.is_file():
        if path.suffix != ".safetensors":
            raise CheckpointError(
                f"{path} is not a checkpoint: give a run folder, a checkpoint folder or a "
                f"{GENERATOR_FILE}"
            )
        generator_file = path
        folder = path.parent
    else:
        folder = path
        generator_file = folder / GENERATOR_FILE
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
    return Checkpoint(folder, step, config)


# ---- the run directory ----------------------------------------------------------------------
def default_runs_root() -> Path:
    """Where new runs go unless the person chooses: ``runs/`` in the user's data folder."""
    from platformdirs import user_data_path

    return user_data_path("dcgan-studio", appauthor=False) / "runs"


def new_run_path(root: Path | None = None) -> Path:
    """A timestamped folder for a new run under ``root`` (default: ``default_runs_root()``)."""
    return (root or default_runs_root()) / datetime.now().strftime("%Y%m%d-%H%M%S")


class RunLock:
    """One trainer at a time in a run folder: an exclusive ``flock`` on ``RUN/.lock``, held
    until ``release()`` or the process ends (a killed one frees it too). A no-op where the OS
    has no ``fcntl``."""

    def __init__(self, run: RunDirectory) -> None:
        self._file = None
        try:
            import fcntl
        except ImportError:  # not POSIX
            return
        path = run.root / ".lock"
        try:
            handle = open(path, "a+", encoding="utf-8")  # held until release()
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write the run folder {run.root} ({exc.strerror}): fix its permissions"
            ) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunDirectoryError(
                f"the run {run.root} is being trained by {holder}: wait for it to end or stop "
                "it, then continue the run"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None


class RunDirectory:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    config_path = property(lambda self: self.root / "config.json")
    metrics_path = property(lambda self: self.root / "metrics.jsonl")
    alerts_path = property(lambda self: self.root / "alerts.jsonl")
    samples_dir = property(lambda self: self.root / "samples")
    checkpoints_dir = property(lambda self: self.root / "checkpoints")

    @classmethod
    def ensure_new(cls, root: str | os.PathLike) -> None:
        """Refuse a folder that already holds a run, or a file in the way."""
        run = cls(root)
        if run.config_path.exists():
            raise RunDirectoryError(
                f"{run.root} already holds a run: continue it with --resume {run.root}, "
                "or choose another --run-dir"
            )
        if run.root.exists() and not run.root.is_dir():
            raise RunDirectoryError(f"{run.root} is a file, not a folder: choose another --run-dir")

    @classmethod
    def create(cls, root: str | os.PathLike, config: RunConfig) -> RunDirectory:
        cls.ensure_new(root)
        run = cls(root)
        try:
            run.samples_dir.mkdir(parents=True, exist_ok=True)
            run.checkpoints_dir.mkdir(exist_ok=True)
            durable_write_text(run.config_path, config.to_json())
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write the run folder {run.root} ({exc.strerror}): choose a writable "
                "--run-dir"
            ) from exc
        return run

    @classmethod
    def open(cls, root: str | os.PathLike) -> RunDirectory:
        run = cls(root)
        if not run.config_path.is_file():
            raise RunDirectoryError(
                f"{run.root} is not a DCGAN Studio run (no config.json): give the folder that "
                "was passed as --run-dir"
            )
        return run

    def lock(self) -> RunLock:
        """Hold this run for one trainer; a second (another window or terminal) is refused."""
        return RunLock(self)

    def recover(self) -> list[str]:
        """Before training in it again: the run's folders made again where they were deleted,
        and what an interrupted save left removed, or put back where it is the only whole copy
        (a save killed between its two renames). Returns what was done, a line each."""
        done = []
        for folder in (self.samples_dir, self.checkpoints_dir):
            if not folder.is_dir():
                try:
                    folder.mkdir()
                    done.append(f"made the missing folder {folder}")
                except OSError as exc:
                    raise RunDirectoryError(
                        f"cannot make the run's folder {folder} "
                        f"({exc.strerror or exc}): fix its permissions"
                    ) from exc
        for folder in (self.root, self.samples_dir, self.checkpoints_dir):
            for path in sorted(folder.iterdir()):
                match = _LEFTOVER.match(path.name)
                if match is None:
                    continue
                whole = folder / match.group(1)
                try:
                    if match.group(2) == "old" and not whole.exists():
                        os.replace(path, whole)
                        done.append(f"put back {whole}, which an interrupted save had set aside")
                    elif path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                        done.append(f"removed {path}, left by an interrupted save")
                    else:
                        path.unlink()
                        done.append(f"removed {path}, left by an interrupted save")
                except OSError:
                    continue  # not ours to remove (permissions): it does no harm where it is
        return done

    def read_config(self) -> RunConfig:
        try:
            data = parse_json(self.config_path.read_bytes())
        except OSError as exc:
            raise RunDirectoryError(
                f"{self.config_path} cannot be read ({exc.strerror}): check its permissions"
            ) from exc
        except ValueError as exc:
            raise RunDirectoryError(
                f"{self.config_path} is not a valid run config: it is not "
                f"JSON ({exc}); correct it, or start a new run"
            ) from exc
        try:
            return RunConfig.from_dict(data)
        except ConfigError as exc:
            raise RunDirectoryError(
                f"{self.config_path} is not a valid run config: {exc}; "
                "correct it, or start a new run"
            ) from exc

    def write_config(self, config: RunConfig) -> None:
        durable_write_text(self.config_path, config.to_json())

    # metrics
    def append_metrics(self, record: Mapping[str, Any]) -> None:
        _append_line(self.metrics_path, record)

    # alerts
    def record_alert(self, alert: Any, checkpoint_before: int | None) -> None:
        """An ``alerts.Alert`` as it rose, with the step of the newest checkpoint taken before
        it: pruning keeps that checkpoint, the one to go back to."""
        _append_line(
            self.alerts_path,
            {
                "step": alert.step,
                "kind": alert.kind,
                "severity": alert.severity,
                "title": alert.title,
                "message": alert.message,
                "what_to_try": alert.what_to_try,
                "checkpoint_before": checkpoint_before,
            },
        )

    def read_alerts(self) -> list[dict[str, Any]]:
        return _read_lines(self.alerts_path)

    def protected_steps(self) -> set[int]:
        """Checkpoints pruning never deletes: for each kind of alert, the last one before its
        first time and before its latest (at most two a kind, however often an alert flaps)."""
        by_kind: dict[str, list[int]] = {}
        for r in self.read_alerts():
            if type(r.get("checkpoint_before")) is int and isinstance(r.get("kind"), str):
                by_kind.setdefault(r["kind"], []).append(r["checkpoint_before"])
        return {step for steps in by_kind.values() for step in (steps[0], steps[-1])}

    def read_metrics(self) -> list[dict[str, Any]]:
        """The logged records; a damaged line (not a record of numbers with a whole "step") is
        left out, so a viewer plots the rest and a resume keeps them."""
        return [r for r in _read_lines(self.metrics_path) if _is_metrics_record(r)]

    def truncate_metrics_after(self, step: int) -> None:
        """Drop lines logged after ``step`` (written after the checkpoint a resume starts from)."""
        if not self.metrics_path.exists():
            return
        kept = [r for r in self.read_metrics() if r.get("step", 0) <= step]
        durable_write_text(
            self.metrics_path, "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept)
        )

    # samples
    def sample_path(self, step: int) -> Path:
        return self.samples_dir / f"{checkpoint_name(step)}.png"

    def sample_steps(self) -> list[int]:
        return sorted(
            int(m.group(1))
            for p in self.samples_dir.glob("step-*.png")
            if (m := _CHECKPOINT_NAME.match(p.stem))
        )

    # checkpoints
    def checkpoint_steps(self) -> list[int]:
        if not self.checkpoints_dir.is_dir():
            return []
        return sorted(
            int(m.group(1))
            for p in self.checkpoints_dir.iterdir()
            if p.is_dir() and (m := _CHECKPOINT_NAME.match(p.name))
        )

    def checkpoint_path(self, step: int) -> Path:
        return self.checkpoints_dir / checkpoint_name(step)

    def latest_checkpoint(self) -> Path | None:
        steps = self.checkpoint_steps()
        return self.checkpoint_path(steps[-1]) if steps else None

    def prune_checkpoints(self, keep: int) -> None:
        """Delete all but the newest ``keep`` checkpoints, never one an alert protects."""
        if keep <= 0:
            return
        try:
            protected = self.protected_steps()
        except RunDirectoryError:
            return  # alerts.jsonl unreadable: keep everything rather than guess
        for step in self.checkpoint_steps()[:-keep]:
            if step in protected:
                continue
            # renamed first: a kill mid-delete leaves a leftover, never a half checkpoint
            path = self.checkpoint_path(step)
            doomed = path.with_name(f".{path.name}.del-{uuid.uuid4().hex[:8]}")
            try:
                os.replace(path, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)


def _append_line(path: Path, record: Mapping[str, Any]) -> None:
    """One JSON line appended and fsynced: a crash loses at most the line being written."""
    line = memoryview((json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.fstat(fd).st_size
        try:
            while line:  # unbuffered: a failure leaves nothing behind to be written later
                line = line[os.write(fd, line) :]
            os.fsync(fd)
        except OSError:
            with contextlib.suppress(OSError):  # no half line for the next one to glue onto
                os.ftruncate(fd, start)
            raise
    finally:
        os.close(fd)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a .jsonl file. A line that is not one (cut short by a crash, or
    damaged: not UTF-8, a 5000-digit number, deep nesting) is skipped, not a failure."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise RunDirectoryError(
            f"{path} cannot be read ({exc.strerror}): check its permissions"
        ) from exc
    records = []
    for line in data.splitlines():
        try:
            record = parse_json(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _is_metrics_record(record: dict[str, Any]) -> bool:
    step = record.get("step")
    return (
        type(step) is int
        and step >= 0
        and all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            for v in record.values()
        )
    )
