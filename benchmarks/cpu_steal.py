"""CPU steal on a shared (virtual) machine, for the benchmarks to print beside their rounds."""

from __future__ import annotations


class CpuSteal:
    """Share of CPU time the hypervisor gave to other machines (``steal`` in /proc/stat): a
    segment timed while it is high measured the neighbours, not the code. None off Linux."""

    @staticmethod
    def read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="ascii") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        steal = fields[7] if len(fields) > 7 else 0
        return steal, sum(fields[:8])

    @staticmethod
    def share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
        if before is None or after is None or after[1] == before[1]:
            return None
        return (after[0] - before[0]) / (after[1] - before[1])


QUIET_STEAL = 0.05  # a round in which every contestant lost at most this share is a quiet one


def quiet_rounds(steals: list[list[float | None]]) -> list[int]:
    """The rounds in which no contestant lost more than ``QUIET_STEAL`` of the CPU (``steals``:
    one list per contestant, a share or None per round)."""
    return [
        r
        for r in range(min(map(len, steals), default=0))
        if all(v[r] is not None and v[r] <= QUIET_STEAL for v in steals)
    ]
