"""Writing files so that nothing saved is ever lost: a file is the old one or the whole new one.

A file is written under a temporary name in its own folder, flushed, fsynced and renamed over the
old one (``os.replace``), then the folder is fsynced. A line appended to a log is fsynced, and cut
back off when the write fails, so that the next line never glues onto half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def fsync_dir(folder: Path) -> None:
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


def temporary_name(path: Path, kind: str = "tmp") -> Path:
    """A hidden sibling of ``path`` that a crash may leave behind: ``.NAME.KIND-1a2b3c4d``."""
    return path.with_name(f".{path.name}.{kind}-{uuid.uuid4().hex[:8]}")


def durable_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is either the old file or the whole new one."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def durable_write_text(path: Path, text: str) -> None:
    durable_write_bytes(path, text.encode("utf-8"))


def append_line(path: Path, record: Mapping[str, Any]) -> None:
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
