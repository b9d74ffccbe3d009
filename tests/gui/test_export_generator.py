"""File > Export Generator: G of the checkpoint behind the grid on screen, written off the GUI
thread, read back by onnxruntime and torch.jit; a run without a checkpoint there is said."""

from __future__ import annotations

import json

import numpy as np
import torch
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory, open_checkpoint
from dcgan_studio.core.sampling import load_generator
from tests.conftest import tiny_config


def _opened_run(qtbot, make_window, tmp_path):
    config = tiny_config(**{"schedule.iterations": 9, "schedule.sample_every": 2})
    root = tmp_path / "trained"
    list(Trainer(config, RunDirectory.create(root, config)).run())  # checkpoints at 3, 6, 9
    window = make_window()
    window.open_run(root)
    qtbot.waitUntil(lambda: len(window.run.history) == 9, timeout=10_000)
    return window, root


def test_the_menu_exports_the_checkpoint_behind_the_grid_shown(
    qtbot, make_window, tmp_path, monkeypatch
):
    import onnxruntime

    window, root = _opened_run(qtbot, make_window, tmp_path)
    assert window.menus.actions["export_generator"].isEnabled()
    window.sample_panel.select_step(8)  # the scrubber on the grid of 8: the checkpoint of 6
    qtbot.waitUntil(lambda: window.sample_panel.shown_step == 8, timeout=5_000)
    out = tmp_path / "g"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "ONNX (*.onnx)"))
    with qtbot.waitSignal(window.files.generator_exported, timeout=60_000) as written:
        window.menus.actions["export_generator"].trigger()
    assert written.args == [str(tmp_path / "g.onnx")]
    assert json.loads((tmp_path / "g.onnx.json").read_text())["step"] == 6
    z = torch.randn(7, 16, 1, 1)
    session = onnxruntime.InferenceSession(str(tmp_path / "g.onnx"))
    (images,) = session.run(None, {"z": z.numpy()})
    generator = load_generator(open_checkpoint(root / "checkpoints" / "step-0000006"), "cpu")
    with torch.no_grad():
        assert np.abs(images - generator(z).numpy()).max() < 1e-4
    assert "Exported G of iteration 6" in window.frame.statusBar().currentMessage()


def test_a_grid_before_the_first_checkpoint_is_said_in_a_dialog(
    qtbot, make_window, tmp_path, monkeypatch
):
    window, _ = _opened_run(qtbot, make_window, tmp_path)
    window.sample_panel.select_step(0)
    qtbot.waitUntil(lambda: window.sample_panel.shown_step == 0, timeout=5_000)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warned.append(a[2]))
    window.files.export_generator(tmp_path / "g.pt", "torchscript", 0, False)
    qtbot.waitUntil(lambda: bool(warned), timeout=30_000)
    assert "no checkpoint at or before iteration 0" in warned[0]
    assert not (tmp_path / "g.pt").exists()


def test_without_a_run_the_status_bar_says_what_to_do(qtbot, make_window):
    window = make_window()
    window.menus.actions["export_generator"].trigger()
    assert "Open or train a run first" in window.frame.statusBar().currentMessage()


def test_scrubbing_the_grids_never_waits_behind_an_export(
    qtbot, make_window, tmp_path, monkeypatch
):
    import threading

    from dcgan_studio.core import generator_export

    window, _ = _opened_run(qtbot, make_window, tmp_path)
    release, started = threading.Event(), threading.Event()
    real_export = generator_export.export_generator

    def slow_export(*args, **kwargs):  # an export that takes as long as the test wants
        started.set()
        release.wait(30)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(generator_export, "export_generator", slow_export)
    window.sample_panel.select_step(8)
    qtbot.waitUntil(lambda: window.sample_panel.shown_step == 8, timeout=5_000)
    window.files.export_generator(tmp_path / "g.safetensors", "safetensors", 8, False)
    qtbot.waitUntil(started.is_set, timeout=10_000)
    try:
        window.sample_panel.select_step(2)  # a saved grid, read from disk while G exports
        qtbot.waitUntil(lambda: window.sample_panel.shown_step == 2, timeout=5_000)
        assert not (tmp_path / "g.safetensors").exists()  # the export is still under way
    finally:
        release.set()
    with qtbot.waitSignal(window.files.generator_exported, timeout=30_000):
        pass
    assert (tmp_path / "g.safetensors.json").is_file()


def test_closing_the_window_waits_for_the_exports_asked_for(
    qtbot, make_window, tmp_path, monkeypatch
):
    import threading

    from dcgan_studio.core import generator_export

    window, _ = _opened_run(qtbot, make_window, tmp_path)
    release = threading.Event()
    real_export = generator_export.export_generator

    def slow_export(*args, **kwargs):
        release.wait(30)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(generator_export, "export_generator", slow_export)
    window.files.export_generator(tmp_path / "a.safetensors", "safetensors", 9, False)
    window.files.export_generator(tmp_path / "b.pt", "torchscript", 9, False)  # queued behind
    window.frame.close()
    window.frame.close()  # asked again, impatiently: still one close once they are written
    assert window.frame.isVisible()  # not yet: two exports would be lost
    assert "Closing once the generator is exported" in window.frame.statusBar().currentMessage()
    release.set()
    qtbot.waitUntil(lambda: not window.frame.isVisible(), timeout=60_000)
    assert (tmp_path / "a.safetensors.json").is_file() and (tmp_path / "b.pt.json").is_file()
