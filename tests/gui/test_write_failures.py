"""The window on a write that fails: it pauses with a banner saying what and where, keeps what
was trained in a checkpoint, and Resume carries on once the write works again."""

import shutil

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from tests.conftest import tiny_config


def test_the_window_pauses_on_a_failed_write_and_resume_carries_on(qtbot, make_window, tmp_path):
    from PySide6.QtCore import Qt

    cfg = tiny_config(
        **{
            "schedule.iterations": 6,
            "optim.batch_size": 16,
            "model.ngf": 8,
            "model.ndf": 8,
            "model.nz": 16,
            "schedule.seed": 3,
        }
    )
    run = RunDirectory.create(tmp_path / "made", cfg)
    list(Trainer(cfg, run).run())
    window = make_window(iterations=6)
    window.open_run(run.root)
    qtbot.waitUntil(lambda: window.run.opened_config is not None, timeout=10_000)
    window.controls.editors["schedule.iterations"].setValue(400)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: window.run.state == "running", timeout=60_000)
    shutil.rmtree(run.samples_dir)
    run.samples_dir.write_text("in the way")  # from now on the grids cannot be written
    qtbot.waitUntil(lambda: window.run.state == "paused", timeout=60_000)
    assert window.banner.isVisible() and window.banner.kind == "write_failed"
    assert "could not write the sample grid" in window.frame.statusBar().currentMessage()
    assert window.controls.pause_button.text() == "Resume" and window.session.running
    paused_at = run.checkpoint_steps()[-1]
    assert paused_at > 6  # what was trained is in a checkpoint
    run.samples_dir.unlink()  # the person fixed it
    qtbot.mouseClick(window.controls.pause_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=30_000)
    qtbot.waitUntil(lambda: not window.session.running, timeout=120_000)
    assert open_checkpoint(run.root).step == 400 and window.run.state == "idle"
    assert run.sample_steps()[-1] == 400
