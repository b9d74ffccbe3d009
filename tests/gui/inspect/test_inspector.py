"""The inspector without the window: what it asks the engine for, and the pictures it reads
from a run's checkpoints on its worker."""

from __future__ import annotations

import pytest

from dcgan_studio.config import ModelConfig
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.history import LossHistory
from dcgan_studio.core.probes import CheckpointProbe
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.snapshots import ProbeRequest
from dcgan_studio.gui.inspect.inspector import NetworkInspector
from dcgan_studio.gui.inspect.jobs import CheckpointReads
from tests.conftest import tiny_config
from tests.gui.conftest import join_studio_threads


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished tiny run with checkpoints at steps 3 and 6 (16x16, 4 samples)."""
    cfg = tiny_config()
    run_dir = RunDirectory.create(tmp_path_factory.mktemp("inspect") / "run", cfg)
    list(Trainer(cfg, run_dir).run())
    assert run_dir.checkpoint_steps() == [3, 6]
    return run_dir, cfg


@pytest.fixture
def probes() -> list[ProbeRequest | None]:
    """What the inspector sent to the engine."""
    return []


@pytest.fixture
def inspector(qtbot, probes):
    made = NetworkInspector(LossHistory(), probes.append)
    for view in (made.feature_maps, made.architecture, made.filters, made.gradients):
        qtbot.addWidget(view)
    yield made
    made.shutdown()
    assert not join_studio_threads(), "the checkpoint reader's thread is still running"


def _showing(inspector, step: int) -> bool:
    snap = inspector.feature_maps.snapshot
    return snap is not None and snap.step == step and snap.request == inspector.model.request


def test_an_opened_run_shows_its_newest_checkpoint_and_a_past_step_the_nearest(
    qtbot, inspector, probes, run
):
    run_dir, cfg = run
    inspector.set_run(run_dir, cfg)
    assert inspector.model.request == ProbeRequest("g", "relu2", "fake", 0)
    qtbot.waitUntil(lambda: _showing(inspector, 6), timeout=30_000)
    assert "step-0000006" in inspector.feature_maps.header.text()
    assert inspector.filters.step_label.text() == "iteration 6"
    assert inspector.feature_maps.info.text().startswith("<b>")  # what the layer does
    with qtbot.waitSignal(inspector.message, timeout=30_000) as said:
        inspector.select_step(5, live=False)
    assert said.args == ["Feature maps of step 5 come from the nearest saved checkpoint, step 3."]
    assert _showing(inspector, 3) and inspector.filters.step_label.text() == "iteration 3"
    inspector.model.select_sample("fake", 9)  # the run has 4 samples: the last one
    qtbot.waitUntil(lambda: _showing(inspector, 3) and inspector.model.request.index == 3)
    assert probes == []  # no session: the engine was never asked


def test_live_maps_come_from_the_engine_and_a_hidden_view_asks_for_none(
    qtbot, inspector, probes, run
):
    _, cfg = run
    inspector.set_model_config(cfg.model, cfg.schedule.sample_count)
    inspector.session_started()
    request = inspector.model.request
    assert probes == [request]
    inspector.set_visible(False)
    inspector.set_visible(True)
    assert probes[1:] == [None, request]
    inspector.select_step(2, live=False)  # a past step: no live captures
    assert probes[-1] is None
    inspector.select_step(6, live=True)
    assert probes[-1] == request
    with qtbot.waitSignal(inspector.layer_chosen):
        inspector.architecture.select_layer("d", "conv2")  # a click on the row
    assert probes[-1] == ProbeRequest("d", "conv2", "fake", 0)
    assert inspector.feature_maps.network_box.currentData() == "d"
    assert inspector.feature_maps.layer_box.currentData() == "conv2"
    inspector.select_sample("real", 2)
    assert probes[-1] == ProbeRequest("d", "conv2", "real", 2)
    assert inspector.feature_maps.source_box.currentData() == "real"
    assert inspector.feature_maps.index_box.value() == 2
    inspector.session_ended()
    assert not inspector.model.training


def test_live_snapshots_wait_while_a_past_step_is_shown(qtbot, inspector, run):
    run_dir, cfg = run
    probe = CheckpointProbe(open_checkpoint(run_dir.checkpoint_path(6)))
    inspector.set_model_config(cfg.model, cfg.schedule.sample_count)
    inspector.session_started()
    live = probe.feature_maps(inspector.model.request)
    inspector.select_step(3, live=False)
    inspector.show_feature_maps(live)
    inspector.show_filters(probe.filters())
    assert inspector.feature_maps.snapshot is None and inspector.filters.snapshot is None
    inspector.select_step(6, live=True)
    inspector.show_feature_maps(live)
    inspector.show_filters(probe.filters())
    assert inspector.feature_maps.snapshot is live and inspector.filters.snapshot.step == 6
    inspector.session_ended()


def test_a_layer_the_checkpoint_lacks_is_said_in_the_status_bar(qtbot, inspector, run):
    run_dir, cfg = run
    inspector.set_run(run_dir, cfg)
    qtbot.waitUntil(lambda: _showing(inspector, 6), timeout=30_000)
    inspector.set_model_config(ModelConfig(image_size=32, nz=16, ngf=8, ndf=8))  # edited since
    with qtbot.waitSignal(inspector.message, timeout=30_000) as said:
        inspector.model.select_layer("g", "relu3")  # a layer only the new settings have
    assert said.args[0].startswith("Could not read feature maps from ")
    assert "has no layer 'relu3'" in said.args[0]


def test_a_newer_read_drops_the_answer_of_the_one_before(qtbot, run):
    run_dir, _ = run
    reads, answers, errors = CheckpointReads(), [], []
    first, second = ProbeRequest("g", "relu1", "fake", 0), ProbeRequest("d", "lrelu1", "fake", 1)
    reads.read(run_dir.checkpoint_path(3), first, answers.append, errors.append)
    reads.read(run_dir.checkpoint_path(6), second, answers.append, errors.append)
    qtbot.waitUntil(lambda: bool(answers or errors), timeout=30_000)
    qtbot.wait(50)
    assert errors == [] and [(maps.request, maps.step) for maps, _ in answers] == [(second, 6)]
    reads.cancel()
    assert reads.shutdown()
