"""Commands from a viewer to the engine: one thread-safe queue, drained between steps."""

from __future__ import annotations

import queue
from dataclasses import dataclass

from dcgan_studio.core.snapshots import ProbeRequest

PAUSE, RESUME, STOP = "pause", "resume", "stop"
STEP, STEP_D, STEP_G = "step", "step_d", "step_g"  # one iteration, one D update, one G update
SET_LR = "set_lr"
PROBE = "probe"  # which layer and sample to capture feature maps of (value: ProbeRequest | None)
KINDS = (PAUSE, RESUME, STOP, STEP, STEP_D, STEP_G, SET_LR, PROBE)


@dataclass(frozen=True)
class Command:
    kind: str
    network: str | None = None  # "g" | "d", for set_lr
    value: object = None  # a float for set_lr, a ProbeRequest (or None to stop) for probe

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown command {self.kind!r}; one of {', '.join(KINDS)}")
        if self.kind == SET_LR and (self.network not in ("g", "d") or self.value is None):
            raise ValueError("set_lr needs network 'g' or 'd' and a value")


class CommandQueue:
    """Any thread may ``put``; the engine ``drain``s between steps or ``wait``s while paused."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Command] = queue.SimpleQueue()

    def put(self, command: Command) -> None:
        self._queue.put(command)

    def pause(self) -> None:
        self.put(Command(PAUSE))

    def resume(self) -> None:
        self.put(Command(RESUME))

    def stop(self) -> None:
        self.put(Command(STOP))

    def step(self, kind: str = STEP) -> None:
        self.put(Command(kind))

    def set_lr(self, network: str, value: float) -> None:
        self.put(Command(SET_LR, network, float(value)))

    def probe(self, request: ProbeRequest | None) -> None:
        """Capture ``request`` now and then every so often while training; None stops it."""
        self.put(Command(PROBE, value=request))

    def drain(self) -> list[Command]:
        commands = []
        while True:
            try:
                commands.append(self._queue.get_nowait())
            except queue.Empty:
                return commands

    def wait(self, timeout: float) -> Command | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
