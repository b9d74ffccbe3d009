"""The run the window shows, without Qt: its states, its folder, its history and its banner,
on real run folders made by short trainings."""

from __future__ import annotations

import pytest

from dcgan_studio.core.alerts import Alert
from dcgan_studio.core.commands import CommandQueue
from dcgan_studio.core.launch import start_run
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.core.snapshots import AlertSnapshot, StatusSnapshot
from dcgan_studio.gui.training.model import WRITE_FAILED, RunModel, SessionInfo
from tests.conftest import tiny_config


def _trained(root, iterations: int = 3) -> RunDirectory:
    """A real run folder: a tiny training of ``iterations`` steps, with its checkpoint."""
    trainer = start_run(tiny_config(**{"schedule.iterations": iterations}), root, CommandQueue())
    for _ in trainer.run():
        pass
    return RunDirectory.open(root)


def _events(model: RunModel) -> list[tuple]:
    seen: list[tuple] = []
    for name in (
        "state_changed",
        "history_replaced",
        "alert_changed",
        "samples_reset",
        "run_opened",
        "training_started",
        "training_ended",
    ):
        getattr(model, name).connect(lambda *args, name=name: seen.append((name, *args)))
    return seen


def _warning(kind: str = "d_wins", step: int = 5) -> Alert:
    return Alert(kind, step, "D wins", "D is sure of everything", "Try: lower lr_d", "warning")


def test_start_makes_a_new_run_folder_and_follows_the_session_to_idle(tmp_path):
    model = RunModel(tmp_path / "runs")
    seen = _events(model)
    run_dir, resume = model.begin()
    assert not resume and run_dir.root.parent == tmp_path / "runs"
    assert ("samples_reset", run_dir, []) in seen
    assert not [e for e in seen if e[0] == "run_opened"]  # a new folder opens no run
    config = tiny_config()
    model.started(config)
    assert model.state == "starting" and model.running
    assert ("training_started", run_dir, config) in seen
    model.ready(SessionInfo("cpu", "fp32", 6, 0, 10, 8, str(run_dir.root)))
    model.status(StatusSnapshot(0, "running"))
    assert model.state == "running"
    model.add_scalars([{"step": 1, "loss_d": 1.0, "loss_g": 2.0}])
    assert len(model.history) == 1 and model.shown_step == 1
    model.finished()
    assert model.state == "idle" and not model.running and ("training_ended",) in seen
    assert model.opened_config is None  # no checkpoint was saved: Start makes a new run
    assert [e[1] for e in seen if e[0] == "state_changed"] == ["starting", "running", "idle"]


def test_a_run_with_a_checkpoint_is_continued_by_start_and_one_without_is_not(tmp_path):
    model = RunModel(tmp_path / "runs")
    run = _trained(tmp_path / "trained")
    seen = _events(model)
    model.open(run, run.read_config(), run.read_metrics(), run.sample_steps())
    assert ("run_opened", run, run.read_config()) in seen
    assert ("samples_reset", run, run.sample_steps()) in seen
    assert model.settle_opened()
    assert model.continues and model.run_dir.root == run.root
    assert len(model.history) == len(run.read_metrics()) > 0
    run_dir, resume = model.begin()
    assert resume and run_dir.root == run.root  # the same folder: it continues
    bare = RunDirectory.create(tmp_path / "bare", tiny_config())
    model.open(bare, bare.read_config(), [], [])
    assert model.opened_config is not None  # shown as the opened run while the views follow
    assert not model.settle_opened()
    assert not model.continues and model.run_dir is None


def test_a_session_that_left_a_checkpoint_is_continued_by_the_next_start(tmp_path):
    model = RunModel(tmp_path / "runs")
    model.begin()
    model.started(tiny_config())
    run = _trained(model.run_dir.root)  # what the session wrote meanwhile
    model.finished()
    assert model.continues and model.opened_config == run.read_config()


def test_new_run_forgets_the_run_and_its_history(tmp_path):
    model = RunModel(tmp_path / "runs")
    run = _trained(tmp_path / "trained")
    model.open(run, run.read_config(), run.read_metrics(), run.sample_steps())
    seen = _events(model)
    model.forget()
    assert model.run_dir is None and model.opened_config is None and len(model.history) == 0
    assert ("run_opened", None, None) in seen and ("samples_reset", None, []) in seen
    assert ("history_replaced",) in seen


def test_the_banner_shows_the_newest_alert_and_hides_when_it_clears(tmp_path):
    model = RunModel(tmp_path / "runs")
    seen = _events(model)
    alert = _warning()
    model.alerts(AlertSnapshot(5, alert, ("d_wins",)))
    assert model.alert is alert
    model.alerts(AlertSnapshot(9, None, ("d_wins",)))  # still active: it stays
    assert model.alert is alert
    model.alerts(AlertSnapshot(12, None, ()))  # cleared
    assert model.alert is None
    assert [e[1] for e in seen if e[0] == "alert_changed"] == [alert, None]


def test_a_failed_write_pauses_with_a_banner_that_a_resume_takes_away(tmp_path):
    model = RunModel(tmp_path / "runs")
    model.status(StatusSnapshot(40, "paused", "could not write metrics.jsonl", problem="write"))
    assert model.state == "paused" and model.alert.kind == WRITE_FAILED
    assert model.alert.what_to_try.startswith("Try:")
    model.alerts(AlertSnapshot(41, None, ()))  # the monitor's clearing does not hide it
    assert model.alert.kind == WRITE_FAILED
    model.status(StatusSnapshot(41, "running"))
    assert model.alert is None


def test_divergence_shows_an_error_banner_and_dismiss_hides_it(tmp_path):
    model = RunModel(tmp_path / "runs")
    model.status(StatusSnapshot(7, "failed", "the losses became NaN", problem="diverged"))
    assert model.alert.severity == "error" and model.alert.title == "Training diverged"
    model.dismiss_alert()
    assert model.alert is None


def test_an_unknown_state_is_refused(tmp_path):
    with pytest.raises(ValueError, match="state must be one of"):
        RunModel(tmp_path).set_state("exploding")
