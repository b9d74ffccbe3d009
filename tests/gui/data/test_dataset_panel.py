"""The Data panel: previews of real data on disk, loaded off the GUI thread, with the skipped-file
report, clear errors, stale results dropped and a working Cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dcgan_studio.gui.data import dataset_panel as panel_module
from dcgan_studio.gui.data.dataset_panel import PLACEHOLDER, DatasetPanel
from tests.core.data.test_datasets import cfg_for, save

ERROR_COLOUR = "#e05050"


def io_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "dcgan-io"]


@pytest.fixture
def panel(qtbot):
    widget = DatasetPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 800)
    widget.show()
    yield widget
    for thread in io_threads():
        thread.join(timeout=30)
    assert not io_threads(), "a preview left a dcgan-io thread running"


def class_folder(root: Path) -> Path:
    """5 good PNGs in two class folders, a truncated PNG and a text file named .jpg."""
    for cls, colour, n in (("cats", (200, 40, 40), 3), ("dogs", (40, 40, 200), 2)):
        for i in range(n):
            save(Image.new("RGB", (24, 20), colour), root / cls / f"{i}.png")
    whole = (root / "cats" / "0.png").read_bytes()
    (root / "dogs" / "cut.png").write_bytes(whole[:50])
    (root / "cats" / "notes.jpg").write_text("not a picture\n")
    return root


def wait_done(qtbot, panel: DatasetPanel) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=60_000)


def test_placeholder_before_the_first_preview(panel):
    assert panel.status.text() == PLACEHOLDER
    assert not panel.graphics.isVisible() and not panel.progress.isVisible()
    assert panel.loaded is None and panel.loaded_for is None


def test_folder_preview_shows_count_grid_and_skipped_files_by_reason(qtbot, panel, tmp_path):
    folder = class_folder(tmp_path / "pets")
    cfg = cfg_for(f"folder:{folder}", size=16, channels=3)
    panel.preview(cfg)
    assert panel.progress.isVisible() and panel.cancel_button.isEnabled()
    wait_done(qtbot, panel)
    assert panel.loaded is not None and len(panel.loaded) == 5 and panel.loaded_for is cfg
    assert panel.tile_count == 5 and panel.graphics.isVisible()
    assert panel.grid_image.shape == (2 * 18 + 2, 3 * 18 + 2, 3)  # 2 rows x 3 tiles of 16, pad 2
    corners = [tuple(panel.grid_image[2 + 18 * (t // 3), 2 + 18 * (t % 3)]) for t in range(5)]
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
def test_builtin_sets_preview_10000_images_in_a_64_tile_grid(qtbot, panel, name, channels):
    panel.preview(cfg_for(name, size=32, channels=channels))
    wait_done(qtbot, panel)
    assert len(panel.loaded) == 10000 and panel.tile_count == 64
    grid = panel.grid_image
    assert grid.shape == (8 * 34 + 2, 8 * 34 + 2, 3)
    assert "Images: 10,000" in panel.info.text() and not panel.report.isVisible()
    colour_spread = np.abs(grid.astype(int) - grid.mean(axis=2, keepdims=True)).max()
    if channels == 3:
        assert colour_spread > 40 and "RGB (3 channels)" in panel.info.text()
    else:
        assert colour_spread == 0 and "grayscale (1 channel)" in panel.info.text()


def test_empty_folder_shows_the_folder_and_the_fix_in_red(qtbot, panel, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(panel.message, timeout=30_000) as signal:
        panel.preview(cfg_for(f"folder:{empty}"))
    text = panel.status.text()
    assert text == signal.args[0]
    assert str(empty.resolve()) in text and "has no files: put jpg" in text
    assert "one sub-folder per class" in text and "Traceback" not in text
    assert ERROR_COLOUR in panel.status.styleSheet()
    assert panel.loaded is None and not panel.graphics.isVisible()


def test_folder_of_only_bad_files_still_shows_the_scan_report(qtbot, panel, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "zero.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("words")
    with qtbot.waitSignal(panel.message, timeout=30_000):
        panel.preview(cfg_for(f"folder:{folder}"))
    assert panel.status.text().startswith(f"no usable image in {folder.resolve()}")
    assert ERROR_COLOUR in panel.status.styleSheet()
    assert panel.skipped_label.text() == "2 files skipped: 1 empty (0 bytes), 1 not an image"
    assert "1 empty (0 bytes): zero.png" in panel.report.toPlainText()
    assert "Files seen: 2, used: 0" in panel.info.text()


def test_missing_mnist_names_the_files_to_put_in_the_data_root(qtbot, panel, tmp_path):
    with qtbot.waitSignal(panel.message, timeout=30_000):
        panel.preview(cfg_for("mnist", tmp_path))
    raw = tmp_path / "MNIST" / "raw"
    text = panel.status.text()
    assert text.startswith(f"MNIST is not in {tmp_path}: put {raw}/train-images-idx3-ubyte.gz")
    assert "with Data root… in the Data panel" in text and ERROR_COLOUR in panel.status.styleSheet()


def test_a_second_preview_wins_and_the_first_result_is_dropped(qtbot, panel, monkeypatch):
    gates = {"digits": threading.Event(), "shapes": threading.Event()}
    finished = []
    real_load = panel_module.load_dataset

    def gated_load(cfg, progress=None, cancel=None):
        assert gates[cfg.data.dataset].wait(30)
        try:
            return real_load(cfg, progress, None)  # the first one is not allowed to stop early
        finally:
            finished.append(cfg.data.dataset)

    monkeypatch.setattr(panel_module, "load_dataset", gated_load)
    delivered = []
    on_loaded = panel._on_loaded

    def record(generation, cfg, result, error):
        delivered.append(cfg.data.dataset)
        on_loaded(generation, cfg, result, error)

    monkeypatch.setattr(panel, "_on_loaded", record)
    panel.preview(cfg_for("digits"))
    second = cfg_for("shapes", channels=3)
    panel.preview(second)
    gates["digits"].set()  # the first finishes first, after the second was asked for
    qtbot.waitUntil(lambda: delivered == ["digits"], timeout=30_000)
    assert finished == ["digits"]
    assert panel.busy and panel.loaded is None and panel.progress.isVisible()
    gates["shapes"].set()
    wait_done(qtbot, panel)
    assert panel.loaded.name == "shapes" and panel.loaded_for is second
    assert "RGB (3 channels)" in panel.info.text()


def test_cancel_during_a_folder_scan_stops_it(qtbot, panel, tmp_path, monkeypatch):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        Image.new("L", (8, 8), i % 256).save(folder / f"{i:03d}.png")
    first_report = threading.Event()
    reports = []
    outcome = []
    real_load = panel_module.load_dataset

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

    monkeypatch.setattr(panel_module, "load_dataset", watched_load)
    panel.preview(cfg_for(f"folder:{folder}"))
    qtbot.waitUntil(first_report.is_set, timeout=30_000)
    qtbot.waitUntil(lambda: panel.progress.maximum() == 400, timeout=10_000)  # from the timer
    with qtbot.waitSignal(panel.message) as signal:
        panel.cancel_button.click()
    assert "cancelled" in signal.args[0] and "cancelled" in panel.status.text()
    assert not panel.progress.isVisible() and not panel.busy
    qtbot.waitUntil(lambda: not io_threads(), timeout=30_000)
    assert outcome == ["ScanCancelled"] and reports[-1][0] < 400
    assert panel.loaded is None and not panel.graphics.isVisible()


def test_choosing_a_folder_emits_its_absolute_path(qtbot, panel, tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    with qtbot.waitSignal(panel.dataset_chosen) as signal:
        panel.choose_folder("mine")
    assert signal.args == [f"folder:{folder}", None]
    assert panel.dataset == f"folder:{folder}" and str(folder) in panel.root_label.text()
    assert not panel.root_button.isEnabled()
    with qtbot.waitSignal(panel.dataset_chosen) as signal:
        panel.choose_data_root(tmp_path)
    assert signal.args == [f"folder:{folder}", str(tmp_path)]


def test_set_dataset_shows_a_choice_without_emitting(qtbot, panel, tmp_path):
    emitted = []
    panel.dataset_chosen.connect(lambda *args: emitted.append(args))
    panel.set_dataset("mnist", str(tmp_path))
    assert panel.dataset == "mnist" and panel.combo.currentText() == "mnist"
    assert panel.root_button.isEnabled() and str(tmp_path) in panel.root_label.text()
    panel.set_dataset("folder:/data/faces", None)
    assert panel.combo.currentText() == "folder: faces" and emitted == []


def test_preview_button_uses_the_chosen_dataset_on_the_lead_config(qtbot, panel, tmp_path):
    folder = class_folder(tmp_path / "pets")
    panel.config_provider = lambda: cfg_for("digits", size=32, channels=3)
    panel.set_dataset(f"folder:{folder}", None)
    panel.preview_button.click()
    wait_done(qtbot, panel)
    assert panel.loaded_for.data.dataset == f"folder:{folder}"
    assert panel.loaded.image_shape == (3, 32, 32) and panel.tile_count == 5


def test_download_if_missing_fetches_then_previews(qtbot, panel, tmp_path, monkeypatch):
    """Download if missing, against a local web server holding MNIST's .gz files."""
    import functools
    import http.server

    from dcgan_studio.core.data import torchvision_sets as data_torchvision
    from tests.core.data.test_datasets import write_mnist

    served = tmp_path / "server"
    write_mnist(served, "files", n=30, gz=True)
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(served / "files" / "raw")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder, title, _, classes = data_torchvision.MNIST_LIKE["mnist"]
    monkeypatch.setitem(
        data_torchvision.MNIST_LIKE,
        "mnist",
        (folder, title, f"http://127.0.0.1:{server.server_address[1]}/", classes),
    )
    try:
        panel.set_dataset("mnist", str(tmp_path / "root"))
        assert panel.download_box.isEnabled()
        panel.download_box.setChecked(True)
        panel.preview(cfg_for("mnist", tmp_path / "root"))
        wait_done(qtbot, panel)
    finally:
        server.shutdown()
    assert panel.summary is not None and panel.summary.count == 30
    assert (tmp_path / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").is_file()
    panel.set_dataset("digits", None)
    assert not panel.download_box.isEnabled() and not panel.download_box.isChecked()
