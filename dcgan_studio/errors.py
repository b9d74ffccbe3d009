"""Errors a person can meet. Each message names the problem and the fix, in one line.

The command line prints ``dcgan-studio: error: <message>`` and exits 2 for every ``StudioError``;
the window shows the same text. Anything else is a bug: its traceback goes to the log file.
"""

from __future__ import annotations

from typing import Any


class StudioError(Exception):
    """A problem with what the user asked for or gave us, explained in plain words."""


class ConfigError(StudioError, ValueError):
    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field} = {value!r} is not allowed: use {allowed}")


class DatasetError(StudioError):
    pass


class CheckpointError(StudioError):
    pass


class RunDirectoryError(StudioError):
    pass


class DeviceError(StudioError):
    pass
