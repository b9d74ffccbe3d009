"""The smaller defects a new user met (issue 18, item 10), each driven as a person meets it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from dcgan_studio.gui.latent.pinned import PinnedVectors, VectorChoice
from dcgan_studio.gui.latent.shelf import Shelf, VectorPicker


def test_interpolate_refuses_the_same_vector_twice_in_a_row(qtbot):
    pinned = PinnedVectors()
    shelf = Shelf(pinned, choose=lambda uid: None)
    qtbot.addWidget(shelf)
    choice = VectorChoice(pinned)
    picker = VectorPicker(choice, pinned, "Through:", "the path")
    qtbot.addWidget(picker)
    first = pinned.pin("tile 0", np.zeros(4), {})
    second = pinned.pin("tile 5", np.ones(4), {})
    picker.combo.setCurrentIndex(picker.combo.findData(first))
    picker.add_button.click()
    assert choice.ids == [first]
    assert picker.combo.currentData() == second  # the next one is offered
    picker.combo.setCurrentIndex(picker.combo.findData(first))  # the person picks it again
    assert not picker.add_button.isEnabled()
    assert "last one already" in picker.add_button.toolTip()
    assert choice.add(first) is False and choice.ids == [first]
    picker.combo.setCurrentIndex(picker.combo.findData(second))
    picker.add_button.click()
    picker.combo.setCurrentIndex(picker.combo.findData(first))
    picker.add_button.click()  # back to the first: a path may come back, just not stand still
    assert choice.ids == [first, second, first]
    assert picker.summary.text() == "tile 0 → tile 5 → tile 0"


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_architectures_size_formulas_are_never_cut_off(qtbot, make_window, size):
    from dcgan_studio.gui.inspect.architecture_panel import FORMULA

    window = make_window()
    window.frame.resize(*size)
    window.docks["architecture"].raise_()
    panel = window.inspector.architecture
    qtbot.waitUntil(lambda: panel.table("d").isVisible(), timeout=5_000)
    qtbot.wait(100)
    for network in ("g", "d"):
        table = panel.table(network)
        widest = max(
            table.fontMetrics().horizontalAdvance(table.item(r, FORMULA).text())
            for r in range(table.rowCount())
        )
        assert table.columnWidth(FORMULA) > widest  # whole once scrolled to, never elided
        if size[0] >= 1920:  # the dock's width there: the formulas in sight as they are
            right = table.columnViewportPosition(FORMULA) + table.columnWidth(FORMULA)
            assert right <= table.viewport().width(), (network, right, table.viewport().width())


def test_the_filters_fill_a_tall_dock_instead_of_a_strip_across_it(qtbot, make_window):
    window = make_window(iterations=20)
    window.frame.resize(1366, 768)
    window.docks["filters"].raise_()
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=60_000
    )
    panel = window.inspector.filters
    qtbot.waitUntil(lambda: panel.mosaic("g").size > 0, timeout=10_000)
    qtbot.wait(100)
    assert panel.height() > panel.width() and panel.stacked  # the right dock: one above the other
    area = panel.graphics.width() * panel.graphics.height()
    shown = sum(
        view.image.sceneBoundingRect().width() * view.image.sceneBoundingRect().height()
        for view in panel.views.values()
    )
    assert shown > 0.45 * area  # 58%; side by side, as before, two small squares took 30%
    assert panel.minimumSizeHint().width() <= 300  # and it never holds the dock wide
    panel.resize(900, 300)  # a wide place: side by side again
    qtbot.waitUntil(lambda: panel.stacked is False, timeout=5_000)


def test_a_missing_mnist_names_the_window_s_controls_not_the_command_line_flag(
    qtbot, make_window, tmp_path
):
    from PySide6.QtWidgets import QApplication, QMessageBox

    window = make_window()
    window.data.set_dataset("mnist", str(tmp_path / "empty"))
    window.data.panel.preview_button.click()
    panel = window.data.panel
    qtbot.waitUntil(lambda: "MNIST is not in" in panel.status.text(), timeout=30_000)
    assert "--data-root" not in panel.status.text()
    assert "Data root… in the Data panel" in panel.status.text()
    window.controls.set_dataset("mnist", str(tmp_path / "empty"))
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: window.run.last_error is not None and window.run.state == "idle", timeout=30_000
    )
    assert "--data-root" not in window.run.last_error and "Data root…" in window.run.last_error
    for box in QApplication.topLevelWidgets():
        if isinstance(box, QMessageBox) and box.isVisible():
            assert "--" not in box.text()
            box.close()


def test_flags_become_the_controls_that_set_them():
    from dcgan_studio.gui.wording import in_window_words

    assert in_window_words("Try lower learning rates (--lr-g, --lr-d) or --precision fp32") == (
        "Try lower learning rates (“G learning rate”, “D learning rate”) or “Precision” fp32"
    )
    assert in_window_words("use --device cpu") == "use “Device” cpu"
    assert in_window_words("no flag here") == "no flag here"


def test_save_dialogs_open_in_the_run_s_folder(qtbot, make_window, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    window = make_window(iterations=20)
    qtbot.mouseClick(window.controls.start_button, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: not window.session.running and window.run.state == "idle", timeout=60_000
    )
    asked = []
    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        lambda parent, title, start, filters: (asked.append(start), ("", ""))[1],
    )
    window.menus.save_grid.trigger()
    window.menus.save_scored_grid.trigger()
    window.menus.export_csv.trigger()
    run = window.run.run_dir.root
    assert [Path(a).parent for a in asked] == [run, run, run]  # not the home folder
    assert Path(asked[0]).name == "grid-step-0000020.png"
    assert Path(asked[1]).name == "grid-step-0000020-with-d-opinion.png"
