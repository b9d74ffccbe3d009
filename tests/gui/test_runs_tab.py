"""The Runs tab: the runs library (list, filter, differences, rename, delete), Compare (curves
overlaid, grids side by side under one scrubber) and branching from the window, on real run
folders made by short trainings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from dcgan_studio.core.branching import start_branch
from dcgan_studio.core.engine import Trainer
from dcgan_studio.core.runs import RunDirectory
from dcgan_studio.gui.runs.library_view import KID, NAME, PARENT, STATE, STEPS
from tests.conftest import tiny_config


def _train(path, **values):
    config = tiny_config(**values)
    trainer = Trainer(config, RunDirectory.create(path, config))
    assert list(trainer.run())[-1].state == "finished"


@pytest.fixture
def library(tmp_path):
    """In the window's runs folder: a run of 12 iterations (a checkpoint every 6, a grid every
    3 and a KID score), and a branch of it at 6 with G's learning rate lowered."""
    runs = tmp_path / "runs"
    _train(runs / "parent", **{"schedule.iterations": 12, "schedule.checkpoint_every": 6})
    RunDirectory(runs / "parent").append_quality({"step": 12, "kid": 0.125, "kid_std": 0.01})
    values = {"optim.lr_g": 2e-4, "schedule.iterations": 10, "schedule.sample_every": 2}
    branch = start_branch(runs / "parent", 6, values, runs / "slow-g", how_to_extend="")
    list(branch.run())
    return runs


def _runs_page(qtbot, window):
    window.workspaces.show_runs()
    page = window.workspaces.runs
    qtbot.waitUntil(
        lambda: page.scans >= 1 and page.library_view.table.rowCount() > 0, timeout=20_000
    )
    return page


def _row(view, name):
    table = view.table
    return next(r for r in range(table.rowCount()) if table.item(r, NAME).text() == name)


def _select(view, *names):
    view.select_paths([s.path for s in view.model.summaries if s.title in names])


def test_the_library_lists_each_run_with_its_parent_score_and_state(qtbot, make_window, library):
    window = make_window()
    view = _runs_page(qtbot, window).library_view
    table = view.table
    assert table.rowCount() == 2 and view.summary_label.text() == "2 of 2 runs"
    parent, branch = _row(view, "parent"), _row(view, "slow-g")
    assert table.item(parent, STEPS).text() == "12 / 12"
    assert table.item(parent, KID).text() == "0.125"
    assert table.item(parent, STATE).text() == "finished"
    assert table.item(branch, PARENT).text() == "parent @ 6"
    assert "optim.lr_g" not in table.item(branch, PARENT).toolTip()  # said in words
    assert "lr_g 0.0012 → 0.0002" in table.item(branch, PARENT).toolTip()
    assert not table.item(parent, NAME).icon().isNull()  # the thumbnail of its newest grid
    # filter: words of the name, the data, a changed setting, or "branch"
    view.filter.setText("branch")
    assert table.rowCount() == 1 and table.item(0, NAME).text() == "slow-g"
    view.filter.setText("lr_g")
    assert table.rowCount() == 1
    view.filter.clear()
    assert table.rowCount() == 2
    # sort by iterations, as numbers
    table.sortByColumn(STEPS, Qt.SortOrder.AscendingOrder)
    assert [table.item(r, NAME).text() for r in range(2)] == ["slow-g", "parent"]
    # the differences between two runs: only the settings that differ
    _select(view, "parent", "slow-g")
    assert view.diff_button.isEnabled() and view.compare_button.isEnabled()
    view.diff_button.click()
    text = view.diff_label.text()
    assert "G learning rate" in text and "0.0002" in text and "0.0012" in text
    assert text.count("<tr>") == 1 + 3  # the header, lr_g, iterations, sample_every
    assert "Batch size" not in text


def test_compare_overlays_the_curves_and_shows_the_grids_at_one_step(qtbot, make_window, library):
    window = make_window()
    page = _runs_page(qtbot, window)
    _select(page.library_view, "slow-g")  # a branch alone: compared with its parent
    page.library_view.compare_button.click()
    qtbot.waitUntil(lambda: len(page.compare.runs) == 2, timeout=20_000)
    view = page.compare_view
    assert [r.summary.name for r in page.compare.runs] == ["parent", "slow-g"]
    loss_d = view.plots["Loss of D"].listDataItems()
    assert len(loss_d) == 2
    # the branch's curve starts at the step it left its parent and draws over it
    assert list(loss_d[1].xData) == list(range(6, 11)) and loss_d[0].xData[0] == 1
    assert loss_d[1].yData[0] == loss_d[0].yData[5]  # the parent's line of step 6, carried over
    assert len(view.plots["KID (log), lower is better"].listDataItems()) == 1  # only the parent's
    legend = view.legend.text()
    assert "G learning rate 0.0002" in legend and "G learning rate 0.0012" in legend
    assert "branch of parent at 6" in legend
    assert "Same fixed noise in every run" in legend
    # one scrubber: the newest step both saved a grid at
    assert page.compare.step == 6
    qtbot.waitUntil(lambda: all(v.shown is not None for v in view.views), timeout=10_000)
    # a step only the branch saved: the parent shows its nearest, and says so
    page.compare.set_step(8)
    assert "iteration 8" in view.titles[1].text() and "nearest" not in view.titles[1].text()
    assert "iteration 9" in view.titles[0].text() and "nearest saved" in view.titles[0].text()
    assert "the nearest is shown: parent at 9" in view.note.text()
    assert all(c.value() == 8 and c.isVisible() for c in view.cursors)
    view.slider.setValue(0)
    assert page.compare.step == 0 and "iteration 0" in view.titles[0].text()


def test_rename_and_delete_with_confirmation_to_the_trash(
    qtbot, make_window, library, tmp_path, monkeypatch
):
    data_home = tmp_path / "xdg"
    data_home.mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    window = make_window()
    window.open_run(library / "parent")  # open in the Train tab as well
    qtbot.waitUntil(lambda: window.run.run_dir is not None, timeout=20_000)
    page = _runs_page(qtbot, window)
    view = page.library_view
    # rename: the name cell edited (a refresh meanwhile keeps what is typed); the folder stays
    view.table.editItem(view.table.item(_row(view, "parent"), NAME))
    editor = view.table.viewport().findChild(QLineEdit)
    editor.setText("the defaults")
    scans = page.scans
    page.refresh()
    qtbot.waitUntil(lambda: page.scans > scans, timeout=10_000)
    assert editor.text() == "the defaults"
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: RunDirectory(library / "parent").read_label() == "the defaults")
    qtbot.waitUntil(lambda: any(s.title == "the defaults" for s in page.library.summaries))
    assert (library / "parent").is_dir()
    # a run being trained cannot be deleted
    lock = RunDirectory(library / "slow-g").lock()
    try:
        page.refresh()
        qtbot.waitUntil(lambda: any(s.live for s in page.library.summaries), timeout=10_000)
        _select(view, "slow-g")
        assert not view.delete_button.isEnabled()
        row = _row(view, "slow-g")
        assert view.table.item(row, STATE).text() == "training now"
    finally:
        lock.release()
    # deleting the parent asks first, says its branch stays whole, and moves it to the trash
    page.refresh()
    qtbot.waitUntil(lambda: not any(s.live for s in page.library.summaries), timeout=10_000)
    _select(view, "the defaults")
    view.delete_button.click()
    box = page.delete_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "slow-g" in box.text() and "stay whole" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert (library / "parent").is_dir()
    view.delete_button.click()
    move = next(b for b in page.delete_box.buttons() if b.text() == "Move to Trash")
    move.click()
    qtbot.waitUntil(lambda: not (library / "parent").exists(), timeout=10_000)
    assert (data_home / "Trash" / "files" / "parent" / "config.json").is_file()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert view.table.item(0, PARENT).text() == "parent @ 6 (deleted)"
    assert window.run.run_dir is None  # the Train tab forgot the run it had open


def test_branch_from_here_trains_a_branch_from_the_window(qtbot, make_window, library):
    window = make_window()
    window.open_run(library / "parent")
    qtbot.waitUntil(lambda: window.run.run_dir is not None and window.run.continues, timeout=20_000)
    window.sample_panel.select_step(9)  # a grid, but no checkpoint: the one before, at 6
    qtbot.waitUntil(lambda: window.sample_panel.shown_step == 9, timeout=10_000)
    button = window.controls.branch_button
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # as Run > Branch from Here does
    page = window.workspaces.runs
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=20_000)
    dialog = page.dialog
    assert dialog.step == 6
    assert dialog.editors["optim.lr_g"].value() == pytest.approx(1.2e-3)
    iterations = dialog.editors["schedule.iterations"]
    assert "The parent's: 12; the branch starts at 6" in iterations.toolTip()
    iterations.setValue(5)  # before the start: the field goes no lower than one iteration on
    assert iterations.value() == 7
    dialog.editors["schedule.iterations"].setValue(9)
    dialog.editors["optim.d_steps"].setValue(2)
    dialog.label_edit.setText("D twice")
    dialog.ok_button.click()
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: window.run.state != "idle", timeout=20_000)
    assert window.workspaces.currentIndex() == 0  # the Train tab, training the branch
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    branch = window.run.run_dir
    origin = branch.read_branch()
    assert origin["step"] == 6 and origin["parent"] == str((library / "parent").resolve())
    assert origin["changed"] == {"optim.d_steps": [1, 2], "schedule.iterations": [12, 9]}
    assert branch.read_label() == "D twice"
    assert button.isEnabled()  # the branch, stopped, can be branched in turn
    assert branch.checkpoint_steps()[-1] == 9
    assert window.controls.editors["optim.d_steps"].value() == 2
    assert [r["step"] for r in branch.read_metrics()] == [6, 7, 8, 9]
    assert (library / "parent" / "checkpoints" / "step-0000012").is_dir()  # the parent whole


def test_branch_is_offered_only_for_a_run_with_a_checkpoint(qtbot, make_window, tmp_path):
    window = make_window()
    window.menus.actions["branch"].trigger()  # nothing opened
    assert "Open a run with a checkpoint first" in window.frame.statusBar().currentMessage()


def test_open_from_the_library_and_runs_of_an_added_folder(qtbot, make_window, library, tmp_path):
    elsewhere = tmp_path / "shared"
    _train(elsewhere / "from-another-machine", **{"schedule.iterations": 3})
    window = make_window()
    page = _runs_page(qtbot, window)
    view = page.library_view
    page.add_folder(elsewhere)
    qtbot.waitUntil(lambda: view.table.rowCount() == 3, timeout=20_000)
    page.settings.sync()  # kept for next time
    page.add_folder(elsewhere)  # the same folder twice is listed once
    assert page.library.folders.count(elsewhere) == 1
    _select(view, "from-another-machine")
    assert view.open_button.isEnabled() and not view.compare_button.isEnabled()
    view.open_button.click()
    assert window.workspaces.currentIndex() == 0
    qtbot.waitUntil(lambda: window.run.run_dir is not None, timeout=20_000)
    assert window.run.run_dir.root == elsewhere / "from-another-machine"
    assert window.run.shown_step == 3
    again = make_window(settings_name="settings.ini")  # the next launch lists it too
    assert elsewhere in again.workspaces.runs.library.folders


def test_a_branch_of_the_last_checkpoint_is_offered_more_iterations(qtbot, make_window, library):
    window = make_window()
    page = _runs_page(qtbot, window)
    _select(page.library_view, "parent")
    page.library_view.branch_button.click()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=20_000)
    dialog = page.dialog
    iterations = dialog.editors["schedule.iterations"]
    assert dialog.step == 12 and iterations.value() == 112  # the parent ended at 12: more
    assert dialog.values() == {"schedule.iterations": 112}  # needed, though nobody typed it
    dialog.checkpoint_box.setCurrentIndex(dialog.checkpoint_box.findData(6))
    assert iterations.value() == 12 and dialog.values() == {}  # the parent's length again
    dialog.reject()


def test_compare_puts_a_parent_before_its_branches_and_finds_a_moved_parent(tmp_path):
    from dcgan_studio.core.library import summarise
    from dcgan_studio.gui.runs.page import parents_first

    runs = tmp_path / "runs"
    _train(runs / "parent", **{"schedule.iterations": 6})
    branch = start_branch(
        runs / "parent", 6, {"schedule.iterations": 9}, runs / "branch", how_to_extend=""
    )
    branch.run_lock.release()
    moved = tmp_path / "copied"
    runs.rename(moved)  # the runs folder moved (or copied, or synced to another machine)
    parent, child = summarise(moved / "parent"), summarise(moved / "branch")
    assert child.parent == (moved / "parent").resolve() and child.parent_exists
    older_child = child.__class__(
        **{**child.__dict__, "started": parent.started.replace(year=2000)}
    )
    assert [s.name for s in parents_first([older_child, parent])] == ["parent", "branch"]
