"""The convolution explorer, used as a learner would: an edge kernel on a digit shows its edges and
equals torch's conv2d; every output size shown equals the formula and torch's; impossible settings
and bad picture files get a message, never an exception."""

from __future__ import annotations

import itertools
import re
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from dcgan_studio.core import convolution as cv
from dcgan_studio.core.convolution import MAX_SIDE
from dcgan_studio.gui.convolution.workspace import make_convolution_explorer

EDGE = np.array(
    [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32
)  # written out, not the core's


def io_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("dcgan-")]


@pytest.fixture
def explorer(shown):
    return shown(make_convolution_explorer(digit=0), 1100, 800)


def torch_conv(image, weights, stride=1, padding=0) -> np.ndarray:
    x = torch.from_numpy(np.asarray(image, np.float32))[None, None]
    w = torch.from_numpy(np.asarray(weights, np.float32))[None, None]
    return F.conv2d(x, w, stride=stride, padding=padding)[0, 0].numpy()


def shown_size(caption: str) -> int:
    """The number the size caption ends on: "... = 28 → 28×28" -> 28."""
    return int(re.findall(r"=\s(\d+)", caption)[-1])


def plain(caption: str) -> str:
    return caption.replace("\u00a0", " ").replace("\u2060", "").replace("<br>", " ")


def grid_numbers(editor) -> np.ndarray:
    """The numbers a person reads in the kernel grid."""
    k = editor.table.rowCount()
    return np.array(
        [
            [float(editor.table.item(r, c).text().replace("−", "-")) for c in range(k)]
            for r in range(k)
        ],
        np.float32,
    )


def screen_colour(view, row: int, col: int):
    """The colour on screen at the centre of map pixel (row, col) of a MapView."""
    scene = view.box.mapViewToScene(QPointF(col + 0.5, row + 0.5))
    point = view.graphics.mapFromScene(scene)
    colour = view.graphics.grab().toImage().pixelColor(point)
    return colour.red(), colour.green(), colour.blue()


def save_png(path, array: np.ndarray) -> None:
    Image.fromarray(array).save(path)


# ---- kernel page ---------------------------------------------------------------------------------


def test_edge_kernel_on_a_digit_equals_conv2d_and_edges_appear(explorer):
    page, editor = explorer.kernel_page, explorer.kernel_page.editor
    editor.preset_box.setCurrentIndex(editor.preset_box.findData("identity"))
    np.testing.assert_allclose(page.output_view.values(), cv.load_digit(0)[:, :], atol=0)
    editor.preset_box.setCurrentIndex(editor.preset_box.findData("edge"))
    assert explorer.kernel.preset == "edge" and page.stride() == 1 and page.padding() == 1
    np.testing.assert_array_equal(grid_numbers(editor), EDGE)

    digit = cv.load_digit(0)
    shown = page.output_view.values()
    expected = torch_conv(digit, EDGE, padding=1)
    assert shown.shape == expected.shape == (28, 28)
    np.testing.assert_allclose(shown, expected, rtol=1e-6, atol=1e-5)

    # flat background (a 3x3 neighbourhood of zeros) is exactly 0; a stroke's edges are strong
    padded = np.pad(digit, 1)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3))  # (28, 28, 3, 3)
    flat = windows.max(axis=(2, 3)) == 0
    edges = (windows.max(axis=(2, 3)) > 0.9) & (windows.min(axis=(2, 3)) < 0.1)
    assert flat.sum() > 300 and edges.sum() > 50
    assert np.abs(shown[flat]).max() == 0
    assert np.median(np.abs(shown[edges])) > 1.5

    # what a person sees: black where flat, bright (glowing colour) on an edge
    r, c = np.argwhere(flat)[0]
    assert max(screen_colour(page.output_view, r, c)) < 10  # black (zero is the middle)
    r, c = np.unravel_index(np.argmax(np.where(edges, np.abs(shown), 0)), shown.shape)
    assert max(screen_colour(page.output_view, r, c)) > 150


def test_magnitude_shows_absolute_values(explorer):
    page = explorer.kernel_page
    signed = page.output_view.values().copy()
    assert signed.min() < 0
    page.magnitude_box.setChecked(True)
    np.testing.assert_array_equal(page.output_view.values(), np.abs(signed))


def test_editing_a_cell_changes_the_output_and_marks_the_preset_custom(explorer):
    page, editor = explorer.kernel_page, explorer.kernel_page.editor
    before = page.output_view.values().copy()
    editor.set_cell(0, 0, "1/4")
    assert explorer.kernel.preset == "custom"
    assert editor.preset_box.currentData() == "custom"
    weights = EDGE.copy()
    weights[0, 0] = 0.25
    np.testing.assert_array_equal(explorer.kernel.weights, weights)
    shown = page.output_view.values()
    assert not np.array_equal(shown, before)
    np.testing.assert_allclose(
        shown, torch_conv(cv.load_digit(0), weights, padding=1), rtol=1e-6, atol=1e-5
    )
    assert "sum of the weights = 1.25" in editor.sum_label.text()
    # the other pages use the edited kernel
    explorer.tabs.setCurrentWidget(explorer.pooling_page)
    assert "custom 3×3" in explorer.pooling_page.kernel_label.text()


def test_text_that_is_not_a_number_is_put_back_with_a_message(explorer):
    editor = explorer.kernel_page.editor
    before = explorer.kernel_page.output_view.values().copy()
    editor.set_cell(1, 2, "abc")
    assert not editor.message.isHidden()
    assert "'abc' is not a number" in editor.message.text()
    assert editor.table.item(1, 2).text() == "−1" and explorer.kernel.preset == "edge"
    np.testing.assert_array_equal(explorer.kernel_page.output_view.values(), before)
    editor.set_cell(1, 2, "2")
    assert editor.message.isHidden()


def test_kernel_sizes_strides_and_paddings_give_the_formula_and_torch_sizes(explorer):
    page, editor = explorer.kernel_page, explorer.kernel_page.editor
    digit = cv.load_digit(0)
    for k, s, p in itertools.product((3, 5), (1, 2, 3), (0, 1, 2, 4)):
        editor.size_box.setCurrentIndex(editor.size_box.findData(k))
        page.stride_box.setValue(s)
        page.padding_box.setValue(p)
        o = (28 + 2 * p - k) // s + 1
        expected = torch_conv(digit, explorer.kernel.weights, stride=s, padding=p)
        assert expected.shape == (o, o)
        assert page.output_view.values().shape == (o, o), (k, s, p)
        np.testing.assert_allclose(page.output_view.values(), expected, rtol=1e-6, atol=1e-5)
        caption = page.output_view.caption.text()
        assert shown_size(caption) == o
        assert f"floor((28 + 2·{p} − {k})/{s}) + 1 = {o}" in plain(caption)
        assert f"{o}×{o}" in page.output_view.title.text()
        assert page.message.isHidden()


def test_pointing_at_an_output_pixel_writes_out_its_window_and_sum(qtbot, explorer):
    page = explorer.kernel_page
    page.stride_box.setValue(2)
    view = page.output_view
    scene = view.box.mapViewToScene(QPointF(4.5, 6.5))  # column 4, row 6
    qtbot.mouseMove(view.graphics.viewport(), view.graphics.mapFromScene(scene))
    qtbot.waitUntil(lambda: page.picked == (6, 4))
    text = page.window_label.text()
    assert "row 6, column 4" in text and "rows 11…13, columns 7…9" in text
    value = float(page.output_view.values()[6, 4])
    assert f"sum = <b>{value:.3f}</b>" in text
    rect = page.window_outline.rect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (7, 11, 3, 3)
    assert page.window_outline.isVisible()


# ---- pooling page --------------------------------------------------------------------------------


def test_pooling_page_shows_max_average_and_strided_conv_of_the_formula_sizes(explorer):
    explorer.tabs.setCurrentWidget(explorer.pooling_page)
    page = explorer.pooling_page
    x = torch.from_numpy(cv.load_digit(0))[None, None]
    for n in (2, 3):
        page.pool_box.setValue(n)
        o = (28 - n) // n + 1
        expected = {
            page.max_view: F.max_pool2d(x, n)[0, 0].numpy(),
            page.avg_view: F.avg_pool2d(x, n)[0, 0].numpy(),
        }
        for view, want in expected.items():
            assert want.shape == view.values().shape == (o, o)
            np.testing.assert_allclose(view.values(), want, rtol=1e-6)
            assert shown_size(view.caption.text()) == o
    conv = torch_conv(cv.load_digit(0), EDGE, stride=2, padding=1)
    assert conv.shape == page.conv_view.values().shape == (14, 14)
    np.testing.assert_allclose(page.conv_view.values(), conv, rtol=1e-6, atol=1e-5)
    assert shown_size(page.conv_view.caption.text()) == 14
    assert "floor((28 + 2·1 − 3)/2) + 1 = 14" in plain(page.conv_view.caption.text())
    assert page.message.isHidden()


# ---- transposed convolution page -----------------------------------------------------------------


def test_transposed_sizes_equal_the_formula_and_torch_or_say_what_to_change(explorer):
    explorer.tabs.setCurrentWidget(explorer.transposed_page)
    page = explorer.transposed_page
    page.kernel_box.setCurrentIndex(page.kernel_box.findData("ones"))
    for small in ("pooled", "pixel"):
        page.map_box.setCurrentIndex(page.map_box.findData(small))
        i = page.input_view.values().shape[0]
        assert i == {"pooled": 7, "pixel": 3}[small]
        x = torch.from_numpy(page.input_view.values().copy())[None, None]
        for k, s, p in itertools.product((1, 2, 3, 4, 5), (1, 2, 3), (0, 1, 2)):
            page.k_box.setValue(k)
            page.s_box.setValue(s)
            page.p_box.setValue(p)
            o = (i - 1) * s - 2 * p + k
            if o < 1:
                assert page.output_view.values() is None
                assert not page.message.isHidden()
                assert (
                    "padding = " in page.message.text()
                    and "Lower the padding" in page.message.text()
                )
                continue
            want = F.conv_transpose2d(x, torch.ones(1, 1, k, k), stride=s, padding=p)[0, 0]
            assert want.shape == (o, o) == page.output_view.values().shape, (small, k, s, p)
            np.testing.assert_allclose(
                page.output_view.values(), want.numpy(), rtol=1e-6, atol=1e-6
            )
            caption = page.output_view.caption.text()
            assert shown_size(caption) == o
            assert f"({i} − 1)·{s} − 2·{p} + {k} = {o}" in plain(caption)
            assert page.message.isHidden()


def test_dcgan_setting_doubles_and_uneven_overlap_warns_of_checkerboards(explorer):
    explorer.tabs.setCurrentWidget(explorer.transposed_page)
    page = explorer.transposed_page
    page.map_box.setCurrentIndex(page.map_box.findData("ones"))
    page.kernel_box.setCurrentIndex(page.kernel_box.findData("ones"))
    page.k_box.setValue(3)
    assert "not a multiple" in page.note.text() and "checkerboard" in page.note.text()
    out = page.output_view.values()
    assert len(np.unique(out[1:-1, 1:-1])) > 1  # uneven: a checkerboard of 1, 2 and 4 copies
    page.dcgan_button.click()
    assert (page.k_box.value(), page.s_box.value(), page.p_box.value()) == (4, 2, 1)
    assert page.output_view.values().shape == (8, 8)  # 4x4 -> 8x8
    assert "is a multiple" in page.note.text()
    page.kernel_box.setCurrentIndex(page.kernel_box.findData("page"))  # the edge kernel, 3x3
    assert page.k_box.value() == 3 and not page.k_box.isEnabled()


# ---- input ---------------------------------------------------------------------------------


def test_an_impossible_setting_shows_what_to_change(qtbot, explorer, tmp_path):
    path = tmp_path / "tiny.png"
    save_png(path, np.array([[0, 255], [255, 0]], np.uint8))
    with qtbot.waitSignal(explorer.input_changed, timeout=20_000):
        explorer.open_image(path)
    page, editor = explorer.kernel_page, explorer.kernel_page.editor
    editor.size_box.setCurrentIndex(editor.size_box.findData(5))
    page.padding_box.setValue(0)
    assert page.output_view.values() is None
    assert not page.message.isHidden()
    assert (
        "kernel size = 5 is not allowed: use at most 2 for an input of 2 with padding 0, or "
        "a padding of at least 2" in page.message.text()
    )
    assert "none" in page.output_view.title.text()
    page.padding_box.setValue(2)
    assert page.message.isHidden() and page.output_view.values().shape == (2, 2)


def test_a_picture_file_becomes_a_grey_input_of_at_most_max_side(qtbot, explorer, tmp_path):
    path = tmp_path / "photo.png"
    rgb = np.zeros((200, 300, 3), np.uint8)
    rgb[:, 150:] = 255
    save_png(path, rgb)
    with qtbot.waitSignal(explorer.input_changed, timeout=20_000) as signal:
        explorer.open_image(path)
    assert "photo.png: 200×300 (height×width), scaled down to 171×256" in signal.args[0]
    assert explorer.status.text() == signal.args[0]
    assert explorer.image.shape == (171, MAX_SIDE) and explorer.image.max() == 1.0
    caption = plain(explorer.kernel_page.output_view.caption.text())
    assert "Output height:" in caption and "Output width:" in caption
    assert explorer.kernel_page.output_view.values().shape == (171, 256)


@pytest.mark.parametrize(
    "name,content,says",
    [
        ("notes.png", b"this is not a picture\n", "cannot be read as a picture"),
        ("empty.png", b"", "is empty (0 bytes)"),
    ],
)
def test_a_bad_picture_file_names_it_and_keeps_the_previous_image(
    qtbot, explorer, tmp_path, name, content, says
):
    explorer.digit_box.setValue(3)
    digit = cv.load_digit(3)
    np.testing.assert_array_equal(explorer.image, digit)
    path = tmp_path / name
    path.write_bytes(content)
    with qtbot.waitSignal(explorer.input_failed, timeout=20_000) as signal:
        explorer.open_image(path)
    text = explorer.status.text()
    assert text == signal.args[0]
    assert name in text and says in text and "choose a PNG" in text
    assert "previous image is kept" in text
    np.testing.assert_array_equal(explorer.image, digit)
    np.testing.assert_allclose(
        explorer.kernel_page.output_view.values(),
        torch_conv(digit, EDGE, padding=1),
        rtol=1e-6,
        atol=1e-5,
    )


def test_a_digit_chosen_while_a_picture_is_read_wins(qtbot, explorer, tmp_path):
    path = tmp_path / "late.png"
    save_png(path, np.full((10, 10), 255, np.uint8))
    explorer.open_image(path)
    explorer.digit_box.setValue(5)
    qtbot.waitUntil(lambda: not io_threads(), timeout=20_000)
    QApplication.processEvents()  # deliver the read's (now stale) result
    np.testing.assert_array_equal(explorer.image, cv.load_digit(5))
    assert "built-in digit 5" in explorer.status.text()


def test_show_digit_returns_from_a_picture(qtbot, explorer, tmp_path):
    path = tmp_path / "dot.png"
    save_png(path, np.zeros((9, 9), np.uint8))
    with qtbot.waitSignal(explorer.input_changed, timeout=20_000):
        explorer.open_image(path)
    assert explorer.image.shape == (9, 9)
    qtbot.mouseClick(explorer.digit_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(explorer.image, cv.load_digit(0))


def test_typing_into_the_grid_edits_the_kernel(qtbot, explorer):
    editor = explorer.kernel_page.editor
    table = editor.table
    table.setFocus()
    table.setCurrentCell(2, 1)
    qtbot.keyClick(table, "-")  # typing over a cell opens its editor with that key
    line_edit = table.findChild(QLineEdit)
    assert line_edit is not None and line_edit.text() == "-"
    qtbot.keyClicks(line_edit, "3")  # the editor has the focus now
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)  # Qt commits the edit from its event queue
    qtbot.waitUntil(lambda: explorer.kernel.weights[2, 1] == -3)
    assert explorer.kernel.preset == "custom"
    assert table.item(2, 1).text() == "−3"
