"""File > Follow Run / --follow: the window shows a run another process writes, as it lands,
read-only, with a banner naming the writer (issue 24, item 4).

The fast tests write the run folder themselves, piece by piece, from a tiny run trained once;
one test follows a real ``dcgan-studio train`` in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from tests.conftest import tiny_config

LONG = 30_000  # ms: generous, for a busy 2-core machine


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> RunDirectory:
    """A finished tiny run: metrics of steps 1..6, grids of 0, 3, 6, checkpoints 3 and 6."""
    config = tiny_config()
    run = RunDirectory.create(tmp_path_factory.mktemp("trained") / "run", config)
    assert list(Trainer(config, run).run())[-1].state == "finished"
    return run


def _lines(run: RunDirectory) -> list[bytes]:
    return run.metrics_path.read_bytes().splitlines(keepends=True)


def _partial(trained: RunDirectory, dest, upto: int) -> RunDirectory:
    """A copy of ``trained`` as it stood at step ``upto``."""
    run = RunDirectory.create(dest, trained.read_config())
    run.metrics_path.write_bytes(
        b"".join(line for line in _lines(trained) if json.loads(line)["step"] <= upto)
    )
    for step in trained.sample_steps():
        if step <= upto:
            shutil.copy(trained.sample_path(step), run.sample_path(step))
    for step in trained.checkpoint_steps():
        if step <= upto:
            _land_checkpoint(trained, run, step)
    return run


def _land_checkpoint(trained: RunDirectory, run: RunDirectory, step: int) -> None:
    """As the trainer saves one: filled under a hidden name, then renamed into place."""
    hidden = run.checkpoints_dir / f".step-{step:07d}.tmp-0000abcd"
    shutil.copytree(trained.checkpoint_path(step), hidden)
    os.replace(hidden, run.checkpoint_path(step))


def _write_writer(run: RunDirectory, **values) -> None:
    record = {
        "host": "gpu-box",
        "pid": 4242,
        "command": "dcgan-studio train",
        "processes": 1,
        "global_batch": 8,
        "state": "training",
        "started": "2025-01-02T03:04:05+00:00",
        "updated": "2025-01-02T03:04:05+00:00",
        "step": 3,
        **values,
    }
    path = run.root / "writer.json"
    path.with_suffix(".tmp").write_text(json.dumps(record))
    os.replace(path.with_suffix(".tmp"), path)


def _append(run: RunDirectory, data: bytes) -> None:
    with open(run.metrics_path, "ab") as f:
        f.write(data)


def _steps(window) -> list[int]:
    return [int(s) for s in window.run.history.column("step")]


def _polls_later(qtbot, window, n: int = 2) -> None:
    """Wait until the follower has looked ``n`` more times."""
    jobs = window.following.jobs
    start = jobs.polls
    jobs.poll()
    qtbot.waitUntil(lambda: jobs.polls >= start + n, timeout=LONG)


def _follow(qtbot, window, run: RunDirectory) -> None:
    window.follow_run(run.root)
    qtbot.waitUntil(lambda: window.run.following is not None, timeout=LONG)


def test_a_followed_run_shows_what_lands_read_only_and_says_who_writes_it(
    qtbot, make_window, trained, tmp_path
):
    window = make_window()
    window.docks["latent"].raise_()
    run = _partial(trained, tmp_path / "followed", upto=3)
    _write_writer(run)
    _follow(qtbot, window, run)
    banner = window.follow_banner
    assert banner.isVisible() and banner.state == "training"
    assert (
        "Following: dcgan-studio train (process 4242 on gpu-box) is training" in banner.title.text()
    )
    assert str(run.root) in banner.detail.text()
    # read-only: nothing here may train the run another process trains
    controls = window.controls
    assert not controls.start_button.isEnabled() and not controls.branch_button.isEnabled()
    assert not controls.editors["optim.lr_g"].isEnabled()
    assert not window.menus.start.isEnabled() and window.menus.stop_following.isEnabled()
    assert _steps(window) == [1, 2, 3]
    assert window.sample_panel.steps == [0, 3]
    # a whole line shows; a half one waits for its newline, never shown broken
    line4, line5 = _lines(trained)[3], _lines(trained)[4]
    _append(run, line4 + line5[:20])
    qtbot.waitUntil(lambda: _steps(window) == [1, 2, 3, 4], timeout=LONG)
    _polls_later(qtbot, window)
    assert _steps(window) == [1, 2, 3, 4]
    _append(run, line5[20:])
    qtbot.waitUntil(lambda: _steps(window) == [1, 2, 3, 4, 5], timeout=LONG)
    assert window.loss_plot.raw["loss_d"].getData()[0][-1] == 5  # plotted, not only kept
    # a new grid moves the scrubber on; a new checkpoint reaches the latent space
    _append(run, _lines(trained)[5])
    shutil.copy(trained.sample_path(6), run.sample_path(6))
    _land_checkpoint(trained, run, 6)
    panel = window.sample_panel
    qtbot.waitUntil(lambda: panel.step_label.text() == "iteration 6 (saved)", timeout=LONG)
    renderer = lambda: window.latent.jobs.renderer  # noqa: E731
    qtbot.waitUntil(lambda: renderer() is not None and renderer().step == 6, timeout=LONG)
    # the writer says it finished: the banner says so, and Stop Following unlocks the run
    _write_writer(run, state="finished", step=6)
    qtbot.waitUntil(lambda: banner.state == "finished", timeout=LONG)
    assert banner.title.text().endswith("finished at iteration 6")
    qtbot.mouseClick(banner.stop_button, Qt.LeftButton)
    assert not banner.isVisible() and window.run.following is None
    assert controls.start_button.isEnabled() and window.menus.start.isEnabled()
    assert window.run.continues  # Start continues it here, from its checkpoint of 6


def test_a_resumed_writer_is_followed_on_and_the_banner_says_it_continued(
    qtbot, make_window, trained, tmp_path
):
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=6)
    _append(run, b'{"step":7,"loss_d":9.0,"loss_g":9.0}\n')  # logged, then the writer was stopped
    _write_writer(run, state="stopped", step=7)
    _follow(qtbot, window, run)
    banner = window.follow_banner
    assert banner.state == "stopped" and "was stopped at iteration 7" in banner.title.text()
    # `train --resume` from the newest checkpoint, 6: the metrics cut back to it, then written on
    run.truncate_metrics_after(6)
    _write_writer(run, pid=4343, state="training", step=6)
    _append(run, b'{"step":7,"loss_d":0.5,"loss_g":0.7}\n')
    qtbot.waitUntil(lambda: window.run.history.column("loss_d")[-1] == 0.5, timeout=LONG)
    assert _steps(window) == [1, 2, 3, 4, 5, 6, 7]  # the old 7 replaced, not kept beside
    qtbot.waitUntil(lambda: banner.state == "training", timeout=LONG)
    assert "(process 4343 on gpu-box) is training" in banner.title.text()
    assert "(it continued from iteration 6)" in banner.title.text()
    assert not window.controls.start_button.isEnabled()


def test_a_resume_seen_half_way_still_says_where_it_continued(
    qtbot, make_window, trained, tmp_path
):
    """A resume rewrites metrics.jsonl before writer.json says "training": a poll in between
    sees the metrics cut back while the writer still seems stopped."""
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=6)
    _write_writer(run, state="stopped", step=6)
    _follow(qtbot, window, run)
    banner = window.follow_banner
    run.truncate_metrics_after(3)
    _polls_later(qtbot, window)
    assert banner.state == "stopped" and _steps(window) == [1, 2, 3]
    _write_writer(run, pid=4343, state="training", step=6)
    qtbot.waitUntil(lambda: banner.state == "training", timeout=LONG)
    assert "(it continued from iteration 6)" in banner.title.text()


def test_new_steps_leave_the_read_only_controls_as_they_are(qtbot, make_window, trained, tmp_path):
    """Each poll that brings a step changes the writer's status: the controls' enabled state,
    tooltips and focus are set once, when following begins, not again every two seconds."""
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=3)
    _write_writer(run)
    _follow(qtbot, window, run)
    states = []
    set_state = window.controls.set_state
    window.controls.set_state = lambda state: (states.append(state), set_state(state))
    _append(run, _lines(trained)[3])
    qtbot.waitUntil(lambda: "at iteration 4" in window.follow_banner.title.text(), timeout=LONG)
    assert states == [] and not window.controls.editors["optim.lr_g"].isEnabled()


def test_following_never_lists_the_folder_on_the_gui_thread_nor_shows_a_half_synced_checkpoint(
    qtbot, make_window, trained, tmp_path, monkeypatch
):
    listed_here = []
    checkpoint_steps = RunDirectory.checkpoint_steps

    def listing(self):
        if threading.current_thread() is threading.main_thread():
            listed_here.append(self.root)
        return checkpoint_steps(self)

    monkeypatch.setattr(RunDirectory, "checkpoint_steps", listing)
    window = make_window()
    window.docks["features"].raise_()
    run = _partial(trained, tmp_path / "followed", upto=3)
    _write_writer(run)
    _follow(qtbot, window, run)
    maps = window.inspector.feature_maps
    shown = lambda: maps.snapshot is not None and Path(maps.snapshot.checkpoint)  # noqa: E731
    qtbot.waitUntil(lambda: shown() == run.checkpoint_path(3), timeout=LONG)
    # checkpoint 6 as a synced folder brings it: G whole, D not yet
    _append(run, b"".join(_lines(trained)[3:6]))
    shutil.copytree(trained.checkpoint_path(6), run.checkpoint_path(6))
    d_file = run.checkpoint_path(6) / "discriminator.safetensors"
    d_file.write_bytes(d_file.read_bytes()[:-100])
    qtbot.waitUntil(lambda: _steps(window)[-1] == 6, timeout=LONG)
    _polls_later(qtbot, window)
    window.inspector.select_step(6, live=False)  # the maps of step 6: of checkpoint 3
    message = window.frame.statusBar().currentMessage()
    assert "come from the nearest saved checkpoint, step 3" in message
    assert shown() == run.checkpoint_path(3)
    window.inspector.select_step(None, live=True)
    shutil.copy(trained.checkpoint_path(6) / "discriminator.safetensors", d_file)  # synced
    qtbot.waitUntil(lambda: shown() == run.checkpoint_path(6), timeout=LONG)
    qtbot.mouseClick(window.follow_banner.stop_button, Qt.LeftButton)
    assert window.run.continues
    assert run.root not in listed_here


def test_scores_that_land_while_the_followed_run_opens_are_kept(
    qtbot, make_window, trained, tmp_path, monkeypatch
):
    from dcgan_studio.gui.quality import jobs

    release = threading.Event()
    read_scores = jobs._read_scores

    def slow_read(run_dir):  # reads the file now, answers late
        scores = read_scores(run_dir)
        release.wait(30)
        return scores

    monkeypatch.setattr(jobs, "_read_scores", slow_read)
    score = {"n": 8, "kid": 0.5, "kid_std": 0.1, "fd": 9.0, "feature_space": "pixels"}
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=3)
    try:
        run.quality_path.write_text(json.dumps({"step": 3, **score}) + "\n")
        _follow(qtbot, window, run)
        scores = lambda: [s.step for s in window.quality.scores]  # noqa: E731
        assert scores() == [3]
        with open(run.quality_path, "a") as f:
            f.write(json.dumps({"step": 6, **score}) + "\n")
        qtbot.waitUntil(lambda: scores() == [3, 6], timeout=LONG)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.quality_jobs.busy, timeout=LONG)
    _polls_later(qtbot, window)
    assert scores() == [3, 6]


def test_a_checkpoint_that_landed_behind_is_forgotten_once_training_starts(
    qtbot, make_window, trained, tmp_path
):
    """A checkpoint lands while the Latent space is behind another tab; Stop Following, then
    Start continues the run here: brought to the front, the Latent space shows the session's
    G, not that checkpoint."""
    window = make_window()
    window.docks["features"].raise_()
    run = _partial(trained, tmp_path / "followed", upto=2)
    _follow(qtbot, window, run)
    _append(run, _lines(trained)[2])
    _land_checkpoint(trained, run, 3)
    qtbot.waitUntil(lambda: window.following.checkpoints == (3,), timeout=LONG)
    qtbot.mouseClick(window.follow_banner.stop_button, Qt.LeftButton)
    assert window.run.continues
    opened, shown = [], []
    window.latent.open_checkpoint = opened.append
    window.latent.show_weights = lambda weights: shown.append(weights.step)
    ended = []
    window.run.training_ended.connect(lambda: ended.append(True))
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(ended) and window.run.state == "idle", timeout=60_000)
    window.docks["latent"].raise_()
    qtbot.waitUntil(lambda: bool(shown), timeout=LONG)
    assert opened == [] and shown[-1] == 6


def test_an_alert_that_lands_shows_in_the_alert_banner(qtbot, make_window, trained, tmp_path):
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=3)
    _follow(qtbot, window, run)
    record = {
        "step": 3,
        "kind": "d_wins",
        "severity": "warning",
        "title": "D wins too easily",
        "message": "D(G(z)) stays near 0.",
        "what_to_try": "Try: lower D's learning rate.",
        "checkpoint_before": 3,
    }
    with open(run.alerts_path, "a") as f:
        f.write(json.dumps(record) + "\n")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=LONG)
    assert window.banner.title.text() == "D wins too easily (iteration 3)"


def test_opening_another_run_ends_following(qtbot, make_window, trained, tmp_path):
    window = make_window()
    run = _partial(trained, tmp_path / "followed", upto=3)
    _follow(qtbot, window, run)
    window.open_run(trained.root)
    qtbot.waitUntil(lambda: window.run.run_dir.root == trained.root, timeout=LONG)
    assert window.run.following is None and not window.follow_banner.isVisible()
    assert not window.following.jobs.following
    assert window.controls.start_button.isEnabled()


def test_a_folder_that_is_not_a_run_is_said_in_a_dialog(qtbot, make_window, tmp_path):
    window = make_window()
    window.follow_run(tmp_path)

    def dialog() -> QMessageBox | None:
        boxes = [
            w
            for w in QApplication.topLevelWidgets()
            if w.objectName() == "follow-error-dialog" and w.isVisible()
        ]
        return boxes[0] if boxes else None

    qtbot.waitUntil(lambda: dialog() is not None, timeout=LONG)
    assert "is not a DCGAN Studio run" in dialog().text()
    assert "Cannot follow" in window.frame.statusBar().currentMessage()
    assert window.run.following is None and window.controls.start_button.isEnabled()
    dialog().close()


def test_following_a_real_trainer_in_another_process(qtbot, make_window, tmp_path):
    """``dcgan-studio train`` in a subprocess: its lines land in the window while it trains,
    and once it is killed the banner says the writer stopped."""
    run_dir = tmp_path / "live"
    args = "--image-size 16 --ngf 8 --ndf 8 --nz 16 --batch-size 8 --device cpu --precision fp32"
    args += " --sample-count 4 --log-every 2 --sample-every 10 --checkpoint-every 20"
    command = [sys.executable, "-m", "dcgan_studio", "train", *args.split()]
    command += ["--iterations", "100000", "--run-dir", str(run_dir), "--no-progress"]
    trainer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: (run_dir / "metrics.jsonl").exists(), timeout=120_000)
        window = make_window()
        _follow(qtbot, window, RunDirectory(run_dir))
        banner = window.follow_banner
        assert banner.state == "training"
        assert f"process {trainer.pid} on this machine" in banner.title.text()
        seen = len(window.run.history)
        qtbot.waitUntil(lambda: len(window.run.history) > seen + 3, timeout=LONG)
        qtbot.waitUntil(lambda: len(window.sample_panel.steps) >= 2, timeout=LONG)
        trainer.kill()
        trainer.wait(30)
        qtbot.waitUntil(lambda: banner.state == "gone", timeout=LONG)
        assert banner.title.text().startswith("Following: The writer stopped (process")
        assert f"{trainer.pid} on" in banner.title.text()
        assert socket.gethostname() in banner.title.text() or "this machine" in (
            banner.title.text()
        )
    finally:
        if trainer.poll() is None:
            trainer.kill()
            trainer.wait(30)
