"""The 1-D GAN playground's model, without Qt: the commands it sends to the training loop, what its
status line says, which frames it hands to the view, and when its view may stop looking."""

from __future__ import annotations

import dataclasses

import pytest

from dcgan_studio.core.gan1d import Gan1dConfig, Gan1dTrainer, TwoGaussians, Uniform
from dcgan_studio.core.gan1d_runner import Gan1dFrame
from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.events import Event
from dcgan_studio.gui.gan1d.model import (
    ANSWER_SECONDS,
    HIDDEN_TEXT,
    PRESETS,
    START_TEXT,
    PlaygroundModel,
)


class FakeLoop:
    """Records the commands; ``take`` hands out the frames put in ``frames``."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []
        self.frames: list[Gan1dFrame] = []

    def play(self) -> None:
        self.sent.append(("play",))

    def pause(self) -> None:
        self.sent.append(("pause",))

    def step(self, d: bool = True, g: bool = True) -> None:
        self.sent.append(("step", d, g))

    def reset(self) -> None:
        self.sent.append(("reset",))

    def configure(self, config: Gan1dConfig) -> None:
        self.sent.append(("configure", config))

    def set_speed(self, iterations_per_frame: int) -> None:
        self.sent.append(("speed", iterations_per_frame))

    def take(self) -> Gan1dFrame | None:
        return self.frames.pop(0) if self.frames else None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def loop() -> FakeLoop:
    return FakeLoop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def model(loop, clock) -> PlaygroundModel:
    return PlaygroundModel(loop, clock=clock)


def record(model: PlaygroundModel) -> list[tuple]:
    """Every event the model emits, as (its name, its arguments...)."""
    seen: list[tuple] = []
    for name, event in vars(model).items():
        if isinstance(event, Event):
            event.connect(lambda *args, name=name: seen.append((name, *args)))
    return seen


def frame(config: Gan1dConfig | None = None, generation: int = 0, steps: int = 0) -> Gan1dFrame:
    trainer = Gan1dTrainer(config)
    for _ in range(steps):
        trainer.step()
    return Gan1dFrame(trainer.snapshot(), trainer.config, generation)


def test_play_and_pause_send_their_command_and_expect_a_frame(model, loop):
    seen = record(model)
    assert not model.playing and model.status == START_TEXT
    model.toggle_play()
    assert model.playing and loop.sent == [("play",)]
    assert seen == [("frame_expected",), ("playing_changed", True)]
    model.toggle_play()
    assert not model.playing and loop.sent[-1] == ("pause",)
    assert seen[-1] == ("playing_changed", False)


def test_step_and_speed_go_to_the_loop(model, loop):
    model.step()
    model.step(d=True, g=False)
    model.step(d=False, g=True)
    model.set_speed(50)
    model.set_speed(0)  # at least one iteration per frame
    assert loop.sent == [
        ("step", True, True),
        ("step", True, False),
        ("step", False, True),
        ("speed", 50),
        ("speed", 1),
    ]
    assert model.speed == 1


def test_a_paused_model_stops_looking_once_the_answer_is_overdue(model, loop, clock):
    clock.now += 10 * ANSWER_SECONDS
    assert model.poll()  # the loop's first picture is on its way, however long it takes
    loop.frames = [frame()]
    assert model.poll()
    clock.now += ANSWER_SECONDS + 0.1
    assert not model.poll()  # nothing more can come: the view stops its timer
    model.step()
    assert model.poll()
    clock.now += ANSWER_SECONDS + 0.1
    assert not model.poll()
    model.play()
    clock.now += 10 * ANSWER_SECONDS
    assert model.poll()  # playing: frames keep coming


def test_frames_go_to_the_view_and_a_new_history_is_marked(model, loop):
    seen = record(model)
    first, later = frame(), frame(steps=1)
    reset = frame(generation=1)
    other = frame(Gan1dConfig(target=TwoGaussians()), generation=1)
    loop.frames = [first, later, reset, other]
    for _ in range(4):
        assert model.poll()
    assert [e[1:] for e in seen if e[0] == "frame_changed"] == [
        (first, True),  # the first frame
        (later, False),  # the same history goes on
        (reset, True),  # a reset
        (other, True),  # another target
    ]
    assert model.last_frame is other and model.frames_drawn == 4


def test_settings_applied_live_or_with_a_reset_are_said(model):
    seen = record(model)
    model.applied(dataclasses.replace(model.config, lr_g=0.001), False)
    assert model.status == "lr G changed: applied live, training goes on."
    assert model.config.lr_g == 0.001
    model.applied(dataclasses.replace(model.config, target=TwoGaussians()), True)
    assert model.status == "Target changed: new networks from seed 0, back to iteration 0."
    assert not model.status_error
    said = len(seen)
    model.applied(model.config, False)  # nothing changed: nothing to say
    assert len(seen) == said


def test_a_preset_shows_its_settings_starts_again_and_adds_what_it_changed(model, loop):
    seen = record(model)
    name = "Mode collapse on Two Gaussians"
    model.choose_preset(name)
    assert ("settings_shown", PRESETS[name]) in seen
    assert loop.sent == [("configure", PRESETS[name]), ("reset",)]
    line = f'Preset "{name}": new networks from seed 1, back to iteration 0. Press Play.'
    assert model.status == line
    model.applied(PRESETS[name], True)
    assert model.status == f"{line} Changed: Target, lr G, Seed."
    model.applied(dataclasses.replace(PRESETS[name], lr_d=0.002), False)  # the next one is said
    assert model.status == "lr D changed: applied live, training goes on."


def test_settings_that_make_no_config_are_explained(model, loop):
    model.apply_settings(Gan1dConfig(target=Uniform(1.0, 3.0)))
    assert loop.sent == [("configure", Gan1dConfig(target=Uniform(1.0, 3.0)))]
    with pytest.raises(ConfigError) as error:
        Gan1dConfig(target=Uniform(2.0, 1.0)).validate()
    model.refuse_settings(error.value)
    assert model.status_error
    assert model.status.startswith("target.high = 1.0 is not allowed")
    assert model.status.endswith(". The playground keeps its last good settings.")
    assert len(loop.sent) == 1  # the loop keeps its settings


def test_a_failure_pauses_and_is_shown_as_an_error(model, loop):
    model.play()
    model.failed("The 1-D GAN stopped on an unexpected ValueError: x.")
    assert not model.playing and loop.sent[-1] == ("pause",)
    assert model.status_error and "ValueError" in model.status


def test_hiding_pauses_and_showing_says_so(model, loop):
    model.hidden()  # paused already: nothing to say later
    model.shown()
    assert model.status == START_TEXT and loop.sent == []
    model.play()
    model.hidden()
    assert not model.playing and model.paused_by_hiding and loop.sent[-1] == ("pause",)
    model.shown()
    assert model.status == HIDDEN_TEXT and not model.paused_by_hiding
    model.reset()
    assert model.status == "Reset: new networks from seed 0, back to iteration 0."
