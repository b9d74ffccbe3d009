"""The 1-D GAN's training loop on a plain thread: commands in order, the newest frame out, one
frame ahead of the taker while playing, nothing while paused, events for a config applied or
refused, and an end on stop()."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from dcgan_studio.core.gan1d import Gan1dConfig, TwoGaussians, Uniform
from dcgan_studio.core.gan1d_runner import Failed, Gan1dFrame, Gan1dRunner, Reconfigured

WAIT = 20.0  # seconds; a busy 2-core CI machine


class Running:
    """A runner's loop on a thread of its own, its events collected."""

    def __init__(self, config: Gan1dConfig | None = None) -> None:
        self.runner = Gan1dRunner(config)
        self.events: list = []
        self.thread = threading.Thread(target=self._run, name="test-gan1d")
        self.thread.start()

    def _run(self) -> None:
        for event in self.runner.run():
            self.events.append(event)

    def next_frame(self) -> Gan1dFrame:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            frame = self.runner.take()
            if frame is not None:
                return frame
            time.sleep(0.002)
        raise AssertionError("no frame came")

    def no_frame_for(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.runner.take() is not None:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        self.runner.stop()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()


@pytest.fixture
def running():
    loops: list[Running] = []

    def start(config: Gan1dConfig | None = None) -> Running:
        loops.append(Running(config))
        return loops[-1]

    yield start
    for loop in loops:
        loop.stop()


def test_the_first_frame_then_one_per_step(running):
    loop = running()
    first = loop.next_frame()
    assert first.snapshot.step == 0 and first.generation == 0
    loop.runner.step()
    loop.runner.step(d=True, g=False)
    loop.runner.step(d=False, g=True)
    steps = set()
    while 3 not in steps:
        steps.add(loop.next_frame().snapshot.step)
    last = loop.runner.take()
    assert last is None and loop.no_frame_for(0.2)  # paused: nothing more
    assert loop.events == []


def test_playing_makes_consecutive_frames_and_never_runs_ahead(running):
    loop = running()
    loop.next_frame()
    loop.runner.play()
    time.sleep(0.3)  # nobody takes: the loop computes one frame ahead, then waits
    steps = [loop.next_frame().snapshot.step for _ in range(5)]
    assert steps == [1, 2, 3, 4, 5]  # no frame was made and dropped meanwhile
    loop.runner.set_speed(10)
    loop.next_frame()  # made at the old speed, before the command
    frame = loop.next_frame()
    later = loop.next_frame()
    assert later.snapshot.step - frame.snapshot.step == 10
    loop.runner.pause()
    quiet = [loop.no_frame_for(0.2) for _ in range(3)]  # the frames in flight, then none
    assert quiet[1:] == [True, True]


def test_configure_applies_live_fields_and_resets_for_the_rest(running):
    loop = running()
    loop.next_frame()
    loop.runner.step()
    assert loop.next_frame().snapshot.step == 1
    live = dataclasses.replace(Gan1dConfig(), lr_g=1e-3)
    loop.runner.configure(live)
    frame = loop.next_frame()
    assert frame.config == live and frame.snapshot.step == 1 and frame.generation == 0
    new_target = dataclasses.replace(live, target=TwoGaussians())
    loop.runner.configure(new_target)
    frame = loop.next_frame()
    assert frame.snapshot.step == 0 and frame.generation == 1
    assert loop.events == [Reconfigured(live, False), Reconfigured(new_target, True)]
    loop.runner.reset()
    assert loop.next_frame().generation == 2


def test_a_config_the_trainer_refuses_is_a_failure_and_changes_nothing(running):
    loop = running()
    before = loop.next_frame()
    loop.runner.configure(Gan1dConfig(target=Uniform(2.0, 1.0)))
    loop.runner.step()
    frame = loop.next_frame()
    assert frame.config == before.config and frame.snapshot.step == 1
    assert len(loop.events) == 1 and isinstance(loop.events[0], Failed)
    assert "target.high = 1.0 is not allowed" in loop.events[0].message


def test_stop_ends_the_loop_while_playing(running):
    loop = running()
    loop.next_frame()
    loop.runner.play()
    loop.next_frame()
    loop.stop()
