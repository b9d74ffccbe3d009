"""One trainer at a time in a run folder: an exclusive ``flock`` on ``RUN/.lock`` while it
trains, and who holds it, as the runs library, ``put_quality`` and a follower ask."""

from __future__ import annotations

import os
from pathlib import Path

from dcgan_studio.errors import RunDirectoryError

# the run folders whose lock this process holds: asked whether such a run is live, the library
# answers from here rather than probe a lock it holds (a probe of a lock on a network file
# system, where flock is emulated by POSIX locks, could let go of this process's own)
_HELD: dict[Path, str] = {}
LOCK_TRIES = 10  # a trainer retries this often, 50 ms apart, while a library's probe holds it


class RunLock:
    """One trainer at a time in a run folder: an exclusive ``flock`` on ``RUN/.lock``, held
    until ``release()`` or the process ends (a killed one frees it too). A no-op where the OS
    has no ``fcntl``."""

    def __init__(self, root: Path) -> None:
        self._file = None
        try:
            import fcntl
        except ImportError:  # not POSIX
            return
        path = root / ".lock"
        try:
            handle = open(path, "a+", encoding="utf-8")  # held until release()
        except OSError as exc:
            raise RunDirectoryError(
                f"cannot write the run folder {root} ({exc.strerror}): fix its permissions"
            ) from exc
        try:
            _lock_soon(fcntl, handle)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunDirectoryError(
                f"the run {root} is being trained by {holder}: wait for it to end or stop "
                "it, then continue the run"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._file = handle
        self._key = root.resolve()
        _HELD[self._key] = f"this process ({os.getpid()})"

    def release(self) -> None:
        if self._file is not None:
            _HELD.pop(self._key, None)
            self._file.close()  # closing the file releases the lock
            self._file = None


def _lock_soon(fcntl, handle) -> None:
    """The exclusive lock, tried a few times: a library's probe holds a shared one for an
    instant; a trainer holds it for good, and still does after the last try."""
    import time

    for attempt in range(LOCK_TRIES):
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError:
            if attempt == LOCK_TRIES - 1:
                raise
            time.sleep(0.05)


def lock_holder(root: Path) -> str | None:
    """Who holds the lock of the run at ``root`` (a trainer in this or another process), as the
    lock file names it; None when no one trains in it. Reads only: never writes into the run."""
    held = _HELD.get(root.resolve())
    if held is not None:
        return held
    try:
        import fcntl
    except ImportError:  # not POSIX: no locks, so nothing is known to be live
        return None
    try:
        handle = open(root / ".lock", encoding="utf-8")
    except OSError:  # never trained here, or unreadable: no trainer holds it
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return handle.read().strip() or "another process"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
