"""The inspection target without Qt: plans once per config, the layer kept per network, the
sample, the request it makes and where its pictures come from."""

from __future__ import annotations

import pytest

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.architecture import discriminator_plan, generator_plan
from dcgan_studio.core.snapshots import ProbeRequest
from dcgan_studio.gui.inspect.model import InspectionTarget, checkpoint_at, default_layer

CFG = ModelConfig(image_size=32, ngf=64, ndf=64)


class Recorder:
    """What a view would see: every event of the model, in order."""

    def __init__(self, model: InspectionTarget) -> None:
        self.events: list[tuple] = []
        model.plans_changed.connect(lambda: self.events.append(("plans",)))
        model.target_changed.connect(lambda: self.events.append(("target",)))
        model.request_changed.connect(lambda r: self.events.append(("request", r)))

    def requests(self) -> list[ProbeRequest]:
        return [event[1] for event in self.events if event[0] == "request"]

    def count(self, name: str) -> int:
        return sum(event[0] == name for event in self.events)


@pytest.fixture
def model() -> InspectionTarget:
    target = InspectionTarget()
    target.set_model_config(CFG, sample_count=64)
    return target


def test_no_request_until_a_config_gives_the_plans():
    target = InspectionTarget()
    seen = Recorder(target)
    assert target.request is None and target.plans == {}
    target.select_index(3)
    assert target.request is None and seen.requests() == []
    target.set_model_config(CFG, sample_count=16)
    assert target.plans == {"g": generator_plan(CFG), "d": discriminator_plan(CFG)}
    assert target.request == ProbeRequest("g", "relu3", "fake", 3)  # the last ReLU before tanh
    assert ("plans",) in seen.events and seen.requests() == [target.request]


def test_the_plans_are_made_once_per_config(model, monkeypatch):
    import dcgan_studio.gui.inspect.model as module

    made: list[ModelConfig] = []
    monkeypatch.setattr(module, "generator_plan", lambda c: made.append(c) or generator_plan(c))
    seen = Recorder(model)
    model.set_model_config(CFG)  # the same settings again: nothing to do
    assert made == [] and seen.count("plans") == 0 and seen.requests() == []
    wider = ModelConfig(image_size=32, ngf=32, ndf=64)
    model.set_model_config(wider)
    assert made == [wider] and seen.count("plans") == 1
    assert model.plans["g"].layers[0].out_shape == (128, 4, 4)  # ngf * 4
    assert seen.requests() == []  # relu3 is still there: the request is the same


def test_defaults_show_where_the_networks_are_telling():
    assert default_layer("g", generator_plan(CFG)) == "relu3"
    assert default_layer("d", discriminator_plan(CFG)) == "lrelu1"


def test_each_network_keeps_its_layer_and_g_sees_no_real_images(model):
    seen = Recorder(model)
    assert model.select_layer("g", "convT2")
    model.select_index(7)
    model.select_network("d")
    model.select_source("real")
    model.select_network("g")
    assert seen.requests() == [
        ProbeRequest("g", "convT2", "fake", 0),
        ProbeRequest("g", "convT2", "fake", 7),
        ProbeRequest("d", "lrelu1", "fake", 7),
        ProbeRequest("d", "lrelu1", "real", 7),
        ProbeRequest("g", "convT2", "fake", 7),  # G's layer remembered, a fake tile for G
    ]
    assert model.layers == {"g": "convT2", "d": "lrelu1"}


def test_a_layer_the_plan_lacks_changes_nothing(model):
    seen = Recorder(model)
    assert not model.select_layer("d", "convT2")
    assert not model.select_layer("g", "nothing")
    assert seen.events == [] and model.request == ProbeRequest("g", "relu3", "fake", 0)
    assert model.select_layer("d", "conv2")
    assert model.request == ProbeRequest("d", "conv2", "fake", 0)


def test_a_real_image_switches_to_d_in_one_request(model):
    seen = Recorder(model)
    model.select_sample("real", 3)
    assert seen.requests() == [ProbeRequest("d", "lrelu1", "real", 3)]
    model.select_sample("fake", 5)  # a fake tile keeps D: D judges G's image of tile 5
    assert seen.requests()[-1] == ProbeRequest("d", "lrelu1", "fake", 5)
    with pytest.raises(ValueError):
        model.select_sample("other", 1)


def test_the_index_stays_within_the_samples(model):
    model.select_index(63)
    model.set_model_config(ModelConfig(image_size=32, ngf=64, ndf=32), sample_count=16)
    assert model.index == 15 and model.request.index == 15
    model.select_index(-2)
    assert model.index == 0
    model.set_sample_count(4)
    model.select_sample("fake", 9)
    assert model.request.index == 3


def test_a_layer_missing_from_new_settings_falls_back_to_the_default(model):
    model.select_layer("g", "relu3")
    model.set_model_config(ModelConfig(image_size=16, ngf=64, ndf=64))  # no relu3 at 16x16
    assert model.request == ProbeRequest("g", "relu2", "fake", 0)


def test_settings_without_networks_keep_the_last_plans_and_say_why(model):
    seen = Recorder(model)
    plans = model.plans
    model.set_model_config(ModelConfig(image_size=30), sample_count=8)
    assert "image_size = 30" in str(model.plan_error)
    assert model.plans is plans and model.sample_count == 64  # untouched
    assert seen.events == [("plans",)]
    model.set_model_config(CFG)  # back: the same plans, no error
    assert model.plan_error is None and seen.count("plans") == 2 and seen.requests() == []


def test_where_the_pictures_come_from(model):
    assert model.from_checkpoint and model.live_request == model.request  # no session yet
    model.set_training(True)
    assert not model.from_checkpoint and model.live_request == model.request
    model.select_step(40, live=False)
    assert model.picked_step == 40 and model.from_checkpoint and model.live_request is None
    model.select_step(90, live=True)
    assert model.picked_step is None and model.live_request == model.request
    model.set_visible(False)
    assert model.live_request is None  # hidden: the engine captures nothing


def test_the_checkpoint_at_or_before_a_step():
    assert checkpoint_at([], 5) is None and checkpoint_at([], None) is None
    assert checkpoint_at([10, 20, 30], None) == 30  # the newest
    assert checkpoint_at([10, 20, 30], 25) == 20
    assert checkpoint_at([10, 20, 30], 20) == 20
    assert checkpoint_at([10, 20, 30], 3) == 10  # before the first: the first
