"""A length of time in words, as the runs library and a followed run's banner say it."""

from __future__ import annotations


def duration_words(seconds: float) -> str:
    """45 -> "45 s", 185 -> "3 min 05 s", 3720 -> "1 h 02 min"."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
