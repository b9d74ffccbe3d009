"""Writing a run's files while it trains. A write that fails (a full disk, a folder made
read-only) is kept, not raised, so that the engine can first save what it trained in a checkpoint
and then pause or stop; the failed writes are tried again when the run resumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WriteFailure:
    message: str  # "could not write the sample grid R/samples/step-0000005.png (No space ...)"
    checkpoint: bool  # the checkpoint itself could not be saved (its message says what is kept)


class RunWriter:
    def __init__(self) -> None:
        self.failure: WriteFailure | None = None  # the first failure since the last take()
        self._pending: list[tuple[str, Path, Callable[[], object]]] = []

    def write(self, what: str, path: Path, write: Callable[[], object]) -> bool:
        """``write()`` a file of the run at ``path``; False (and the failure kept) when the OS
        refuses. A folder of the run deleted meanwhile is made again first."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write()
            return True
        except OSError as exc:
            self._pending.append((what, path, write))
            if self.failure is None:
                self.failure = WriteFailure(
                    f"could not write {what} {path} ({exc.strerror or exc})", False
                )
            return False

    def checkpoint_failed(self, message: str) -> None:
        if self.failure is None:
            self.failure = WriteFailure(message, True)

    def take(self) -> WriteFailure | None:
        failure, self.failure = self.failure, None
        return failure

    def retry(self) -> None:
        """The writes that failed, again, in their order (on resume, once space is freed)."""
        pending, self._pending = self._pending, []
        for what, path, write in pending:
            self.write(what, path, write)
