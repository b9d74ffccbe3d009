"""The Data panel: previews of real data on disk, loaded off the GUI thread, with the skipped-file
report, clear errors, stale results dropped and a working Cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dcgan_studio.errors import ConfigError
from dcgan_studio.gui.data import jobs as jobs_module
from dcgan_studio.gui.data.chooser import DatasetChooser
from dcgan_studio.gui.data.model import PLACEHOLDER
from tests.core.data.files import cfg_for, save, serving_mnist

ERROR_COLOUR = "#e05050"


def data_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dcgan-data"]


@pytest.fixture
def make_chooser(shown):
    """``make_chooser(run_config)``: the Data panel on screen, with ``run_config`` as the
    settings on screen; afterwards no preview may have left its thread running."""
    choosers = []

    def make(run_config=lambda: cfg_for("digits")) -> DatasetChooser:
        chooser = DatasetChooser(run_config)
        shown(chooser.panel, 420, 800)
        choosers.append(chooser)
        return chooser

    yield make
    for chooser in choosers:
        assert chooser.shutdown(timeout=30), "a preview left its dcgan-data thread running"


@pytest.fixture
def chooser(make_chooser) -> DatasetChooser:
    return make_chooser()


def class_folder(root: Path) -> Path:
    """5 good PNGs in two class folders, a truncated PNG and a text file named .jpg."""
    for cls, colour, n in (("cats", (200, 40, 40), 3), ("dogs", (40, 40, 200), 2)):
        for i in range(n):
            save(Image.new("RGB", (24, 20), colour), root / cls / f"{i}.png")
    whole = (root / "cats" / "0.png").read_bytes()
    (root / "dogs" / "cut.png").write_bytes(whole[:50])
    (root / "cats" / "notes.jpg").write_text("not a picture\n")
    return root


def wait_done(qtbot, chooser: DatasetChooser) -> None:
    qtbot.waitUntil(lambda: not chooser.busy, timeout=60_000)


def test_placeholder_before_the_first_preview(chooser):
    panel, model = chooser.panel, chooser.model
    assert panel.status.text() == PLACEHOLDER
    assert not panel.graphics.isVisible() and not panel.progress.isVisible()
    assert model.loaded is None and model.loaded_for is None


def test_folder_preview_shows_count_grid_and_skipped_files_by_reason(qtbot, chooser, tmp_path):
    panel, model = chooser.panel, chooser.model
    folder = class_folder(tmp_path / "pets")
    cfg = cfg_for(f"folder:{folder}", size=16, channels=3)
    chooser.preview(cfg)
    assert panel.progress.isVisible() and panel.cancel_button.isEnabled()
    wait_done(qtbot, chooser)
    assert model.loaded is not None and len(model.loaded) == 5 and model.loaded_for is cfg
    assert model.tile_count == 5 and panel.graphics.isVisible()
    assert model.mosaic.shape == (2 * 18 + 2, 3 * 18 + 2, 3)  # 2 rows x 3 tiles of 16, pad 2
    corners = [tuple(model.mosaic[2 + 18 * (t // 3), 2 + 18 * (t % 3)]) for t in range(5)]
    assert sorted(corners) == [(40, 40, 200)] * 2 + [(200, 40, 40)] * 3  # 3 red cats, 2 dogs
    assert not panel.progress.isVisible() and not panel.cancel_button.isVisible()
    info = panel.info.text()
    assert "Images: 5" in info and "Size: 16 x 16, RGB (3 channels)" in info
    assert f"Source: {folder.resolve()}" in info and "Classes: cats, dogs" in info
    assert "Files seen: 7" in info
    assert panel.skipped_label.text() == "2 files skipped: 1 not an image, 1 truncated"
    assert panel.report.toPlainText().splitlines() == [
        "1 not an image: notes.jpg",
        "1 truncated: cut.png",
    ]
    assert panel.report.isReadOnly() and panel.report.isVisible()
    assert ERROR_COLOUR not in panel.status.styleSheet()


@pytest.mark.parametrize("name, channels", [("digits", 1), ("shapes", 3)])
def test_builtin_sets_preview_10000_images_in_a_64_tile_grid(qtbot, chooser, name, channels):
    panel, model = chooser.panel, chooser.model
    chooser.preview(cfg_for(name, size=32, channels=channels))
    wait_done(qtbot, chooser)
    assert len(model.loaded) == 10000 and model.tile_count == 64
    grid = model.mosaic
    assert grid.shape == (8 * 34 + 2, 8 * 34 + 2, 3)
    assert "Images: 10,000" in panel.info.text() and not panel.report.isVisible()
    colour_spread = np.abs(grid.astype(int) - grid.mean(axis=2, keepdims=True)).max()
    if channels == 3:
        assert colour_spread > 40 and "RGB (3 channels)" in panel.info.text()
    else:
        assert colour_spread == 0 and "grayscale (1 channel)" in panel.info.text()


def test_empty_folder_shows_the_folder_and_the_fix_in_red(qtbot, chooser, tmp_path):
    panel = chooser.panel
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(chooser.message, timeout=30_000) as signal:
        chooser.preview(cfg_for(f"folder:{empty}"))
    text = panel.status.text()
    assert text == signal.args[0]
    assert str(empty.resolve()) in text and "has no files: put jpg" in text
    assert "one sub-folder per class" in text and "Traceback" not in text
    assert ERROR_COLOUR in panel.status.styleSheet()
    assert chooser.model.loaded is None and not panel.graphics.isVisible()


def test_folder_of_only_bad_files_still_shows_the_scan_report(qtbot, chooser, tmp_path):
    panel = chooser.panel
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "zero.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("words")
    with qtbot.waitSignal(chooser.message, timeout=30_000):
        chooser.preview(cfg_for(f"folder:{folder}"))
    assert panel.status.text().startswith(f"no usable image in {folder.resolve()}")
    assert ERROR_COLOUR in panel.status.styleSheet()
    assert panel.skipped_label.text() == "2 files skipped: 1 empty (0 bytes), 1 not an image"
    assert "1 empty (0 bytes): zero.png" in panel.report.toPlainText()
    assert "Files seen: 2, used: 0" in panel.info.text()


def test_missing_mnist_names_the_files_to_put_in_the_data_root(qtbot, chooser, tmp_path):
    panel = chooser.panel
    with qtbot.waitSignal(chooser.message, timeout=30_000):
        chooser.preview(cfg_for("mnist", tmp_path))
    raw = tmp_path / "MNIST" / "raw"
    text = panel.status.text()
    assert text.startswith(f"MNIST is not in {tmp_path}: put {raw}/train-images-idx3-ubyte.gz")
    assert "with Data root… in the Data panel" in text and ERROR_COLOUR in panel.status.styleSheet()


def test_a_second_preview_wins_and_the_first_result_is_dropped(qtbot, chooser, monkeypatch):
    panel, model = chooser.panel, chooser.model
    gates = {"digits": threading.Event(), "shapes": threading.Event()}
    started, finished = [], []
    real_load = jobs_module.load_dataset

    def gated_load(cfg, progress=None, cancel=None):
        started.append(cfg.data.dataset)
        assert gates[cfg.data.dataset].wait(30)
        try:
            return real_load(cfg, progress, None)  # the first one is not allowed to stop early
        finally:
            finished.append(cfg.data.dataset)

    monkeypatch.setattr(jobs_module, "load_dataset", gated_load)
    delivered = []
    finish = model.finish

    def record(preview):
        delivered.append(preview.dataset.name)
        finish(preview)

    monkeypatch.setattr(model, "finish", record)
    chooser.preview(cfg_for("digits"))
    qtbot.waitUntil(lambda: started == ["digits"], timeout=30_000)  # (not yet started: replaced)
    second = cfg_for("shapes", channels=3)
    chooser.preview(second)
    gates["digits"].set()  # the first finishes first, after the second was asked for
    # the second starts once the first has ended and sent its answer, which the GUI then drops
    qtbot.waitUntil(lambda: started == ["digits", "shapes"], timeout=30_000)
    qtbot.wait(0)
    assert finished == ["digits"] and delivered == []
    assert chooser.busy and model.loaded is None and panel.progress.isVisible()
    gates["shapes"].set()
    wait_done(qtbot, chooser)
    assert delivered == ["shapes"]
    assert model.loaded.name == "shapes" and model.loaded_for is second
    assert "RGB (3 channels)" in panel.info.text()


def test_cancel_during_a_folder_scan_stops_it(qtbot, chooser, tmp_path, monkeypatch):
    panel, model = chooser.panel, chooser.model
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        Image.new("L", (8, 8), i % 256).save(folder / f"{i:03d}.png")
    first_report = threading.Event()
    reports = []
    outcome = []
    real_load = jobs_module.load_dataset

    def watched_load(cfg, progress=None, cancel=None):
        def report(done, total):
            progress(done, total)
            reports.append((done, total))
            if not first_report.is_set():
                first_report.set()
                for _ in range(3000):  # hold the scan until the person presses Cancel
                    if cancel():
                        break
                    threading.Event().wait(0.01)

        try:
            return real_load(cfg, report, cancel)
        except Exception as exc:
            outcome.append(type(exc).__name__)
            raise

    monkeypatch.setattr(jobs_module, "load_dataset", watched_load)
    chooser.preview(cfg_for(f"folder:{folder}"))
    qtbot.waitUntil(first_report.is_set, timeout=30_000)
    qtbot.waitUntil(lambda: panel.progress.maximum() == 400, timeout=10_000)  # from the timer
    with qtbot.waitSignal(chooser.message) as signal:
        panel.cancel_button.click()
    assert "cancelled" in signal.args[0] and "cancelled" in panel.status.text()
    assert not panel.progress.isVisible() and not chooser.busy
    qtbot.waitUntil(lambda: not data_threads(), timeout=30_000)
    assert outcome == ["ScanCancelled"] and reports[-1][0] < 400
    assert model.loaded is None and not panel.graphics.isVisible()


def test_choosing_a_folder_emits_its_absolute_path(qtbot, chooser, tmp_path, monkeypatch):
    panel, model = chooser.panel, chooser.model
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    with qtbot.waitSignal(chooser.dataset_chosen) as signal:
        model.choose_folder("mine")
    assert signal.args == [f"folder:{folder}", None]
    assert model.name == f"folder:{folder}" and str(folder) in panel.root_label.text()
    assert not panel.root_button.isEnabled()
    with qtbot.waitSignal(chooser.dataset_chosen) as signal:
        model.choose_data_root(tmp_path)
    assert signal.args == [f"folder:{folder}", str(tmp_path)]


def test_set_dataset_shows_a_choice_without_emitting(qtbot, chooser, tmp_path):
    panel, model = chooser.panel, chooser.model
    emitted = []
    chooser.dataset_chosen.connect(lambda *args: emitted.append(args))
    chooser.set_dataset("mnist", str(tmp_path))
    assert model.name == "mnist" and panel.combo.currentText() == "mnist"
    assert panel.root_button.isEnabled() and str(tmp_path) in panel.root_label.text()
    chooser.set_dataset("folder:/data/faces", None)
    assert panel.combo.currentText() == "folder: faces" and emitted == []


def test_preview_button_uses_the_chosen_dataset_on_the_lead_config(qtbot, make_chooser, tmp_path):
    chooser = make_chooser(lambda: cfg_for("digits", size=32, channels=3))
    model = chooser.model
    folder = class_folder(tmp_path / "pets")
    chooser.set_dataset(f"folder:{folder}", None)
    chooser.panel.preview_button.click()
    wait_done(qtbot, chooser)
    assert model.loaded_for.data.dataset == f"folder:{folder}"
    assert model.loaded.image_shape == (3, 32, 32) and model.tile_count == 5


def test_download_if_missing_fetches_then_previews(qtbot, chooser, tmp_path, monkeypatch):
    """Download if missing, against a local web server holding MNIST's .gz files."""
    panel = chooser.panel
    with serving_mnist(tmp_path / "server", monkeypatch):
        chooser.set_dataset("mnist", str(tmp_path / "root"))
        assert panel.download_box.isEnabled()
        panel.download_box.setChecked(True)
        chooser.preview(cfg_for("mnist", tmp_path / "root"))
        wait_done(qtbot, chooser)
    assert chooser.summary is not None and chooser.summary.count == 30
    assert (tmp_path / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    chooser.set_dataset("digits", None)
    assert not panel.download_box.isEnabled() and not panel.download_box.isChecked()


def test_settings_that_cannot_be_previewed_are_said_in_red(qtbot, make_chooser):
    def invalid():
        raise ConfigError("optim.batch_size", 0, "a whole number from 1")

    chooser = make_chooser(invalid)
    panel = chooser.panel
    with qtbot.waitSignal(chooser.message) as signal:
        panel.preview_button.click()
    assert signal.args == ["optim.batch_size = 0 is not allowed: use a whole number from 1"]
    assert panel.status.text() == signal.args[0] and ERROR_COLOUR in panel.status.styleSheet()
    assert not chooser.busy and not panel.progress.isVisible()


def test_a_bug_in_a_loader_is_one_line_that_points_to_the_log(qtbot, chooser, monkeypatch):
    def broken(cfg, progress=None, cancel=None):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(jobs_module, "load_dataset", broken)
    with qtbot.waitSignal(chooser.message, timeout=30_000) as signal:
        chooser.preview(cfg_for("shapes", channels=3))
    assert signal.args == [
        "previewing shapes failed unexpectedly (ZeroDivisionError: division by zero): the "
        "details are in the log file"
    ]
    assert ERROR_COLOUR in chooser.panel.status.styleSheet() and not chooser.busy
