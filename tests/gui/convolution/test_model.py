"""The convolution explorer's models, without Qt: the input (a digit, or a picture read through a
reader) with its status line, and the kernel a person chooses, resizes and types into."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dcgan_studio.core import convolution as cv
from dcgan_studio.core.convolution import read_grey_image
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel, parse_weight, resized


class FakeReader:
    """Keeps the reads asked for; ``answer`` runs the oldest one, as the worker would."""

    def __init__(self) -> None:
        self.reads: list[tuple] = []
        self.cancels = 0

    def read(self, path: Path, on_read, on_error) -> None:
        self.reads.append((path, on_read, on_error))

    def cancel(self) -> None:
        self.cancels += 1
        self.reads.clear()  # a cancelled read never answers

    def answer(self) -> None:
        path, on_read, on_error = self.reads.pop(0)
        try:
            result = read_grey_image(path)
        except Exception as exc:
            on_error(exc)
        else:
            on_read(result)


@pytest.fixture
def reader() -> FakeReader:
    return FakeReader()


@pytest.fixture
def source(reader) -> ExplorerInput:
    return ExplorerInput(reader)


def record(source: ExplorerInput) -> list[tuple]:
    seen: list[tuple] = []
    source.input_changed.connect(lambda: seen.append(("input",)))
    source.failed.connect(lambda text: seen.append(("failed", text)))
    return seen


def test_a_digit_becomes_the_input_and_cancels_a_read(source, reader, tmp_path):
    seen = record(source)
    source.open_image(tmp_path / "slow.png")
    source.select_digit(3)
    assert reader.cancels == 1 and reader.reads == []
    np.testing.assert_array_equal(source.image, cv.load_digit(3))
    assert source.digit == 3 and source.text.startswith("built-in digit 3: a handwritten ")
    assert source.status == source.text and not source.status_error
    assert seen == [("input",)]


def test_a_digit_that_does_not_exist_is_refused_and_the_input_stays(source):
    source.select_digit(2)
    seen = record(source)
    source.select_digit(source.digit_count)
    assert seen == [("failed", source.status)] and source.status_error
    assert "digit index" in source.status
    assert source.digit == 2
    np.testing.assert_array_equal(source.image, cv.load_digit(2))


def test_a_picture_is_read_through_the_reader(source, reader, tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray(np.full((20, 30), 255, np.uint8)).save(path)
    seen = record(source)
    source.open_image(path)
    assert source.status == "Reading photo.png…" and seen == []
    reader.answer()
    assert seen == [("input",)]
    assert source.image.shape == (20, 30) and source.image.max() == 1.0
    assert source.text == "photo.png: 20×30 (height×width), in grey" == source.status


def test_a_bad_picture_is_explained_and_the_input_stays(source, reader, tmp_path):
    source.select_digit(1)
    path = tmp_path / "notes.png"
    path.write_text("not a picture")
    seen = record(source)
    source.open_image(path)
    reader.answer()
    assert seen == [("failed", source.status)] and source.status_error
    assert "notes.png cannot be read as a picture" in source.status
    np.testing.assert_array_equal(source.image, cv.load_digit(1))


def test_a_bug_while_reading_is_one_line_pointing_at_the_log(source, reader, tmp_path):
    source.open_image(tmp_path / "odd.png")
    _, _, on_error = reader.reads.pop()
    on_error(RuntimeError("boom"))
    assert source.status == (
        "odd.png could not be read (RuntimeError: boom); the previous image is kept and the "
        "details are in the log file"
    )


# ---- the kernel ---------------------------------------------------------------------------------


@pytest.fixture
def kernel() -> Kernel:
    return Kernel()


def changes(kernel: Kernel) -> list[int]:
    seen: list[int] = []
    kernel.changed.connect(lambda: seen.append(1))
    return seen


def test_the_kernel_starts_as_edge_and_presets_keep_the_size(kernel):
    assert kernel.preset == "edge" and kernel.size == 3
    assert kernel.preset_text() == "edge (outline) 3×3"
    seen = changes(kernel)
    kernel.set_size(5)
    assert kernel.preset == "edge" and kernel.size == 5
    np.testing.assert_array_equal(kernel.weights, cv.kernel("edge", 5))
    kernel.set_preset("sobel_x")
    assert kernel.size == 5 and kernel.preset_text() == "sobel x (vertical edges) 5×5"
    kernel.set_preset("emboss")  # 3x3 only
    assert kernel.size == 3 and "relief" in kernel.description()
    kernel.set_size(3)  # the same size: nothing changes
    assert len(seen) == 3


def test_a_size_the_preset_lacks_makes_a_custom_kernel_around_its_centre(kernel):
    kernel.set_preset("emboss")
    kernel.set_size(5)
    assert kernel.preset == "custom" and kernel.size == 5
    np.testing.assert_array_equal(kernel.weights[1:4, 1:4], cv.kernel("emboss"))
    assert kernel.preset_text() == "custom 5×5"
    assert kernel.description().startswith("Your own numbers.")
    kernel.set_size(3)
    np.testing.assert_array_equal(kernel.weights, cv.kernel("emboss"))


def test_typing_a_number_makes_the_kernel_custom(kernel):
    seen = changes(kernel)
    assert kernel.type_cell(0, 0, "1/4") == ""
    assert kernel.preset == "custom" and kernel.weights[0, 0] == 0.25 and seen == [1]
    assert kernel.type_cell(0, 0, "0.25") == "" and seen == [1]  # the same number
    problem = kernel.type_cell(1, 2, "abc")
    assert problem == (
        "Cell (row 2, column 3) = 'abc' is not a number: type one such as -1, 0.25 or 1/16."
    )
    assert kernel.weights[1, 2] == -1 and seen == [1]


def test_choosing_custom_keeps_the_numbers(kernel):
    seen = changes(kernel)
    kernel.make_custom()
    assert kernel.preset == "custom" and seen == [1]
    np.testing.assert_array_equal(kernel.weights, cv.kernel("edge"))


@pytest.mark.parametrize(
    "text,value", [("-1", -1.0), ("−2", -2.0), (" 0,5 ", 0.5), ("1/16", 0.0625)]
)
def test_weights_are_read_as_people_write_them(text, value):
    assert parse_weight(text) == value


@pytest.mark.parametrize("text", ["abc", "1/0", "inf", "", "nan"])
def test_what_is_not_a_finite_number_is_refused(text):
    with pytest.raises((ValueError, ArithmeticError)):
        parse_weight(text)


def test_resizing_pads_or_crops_around_the_centre():
    five = np.arange(25, dtype=np.float32).reshape(5, 5)
    np.testing.assert_array_equal(resized(five, 3), five[1:4, 1:4])
    np.testing.assert_array_equal(resized(resized(five, 3), 5)[1:4, 1:4], five[1:4, 1:4])
    assert resized(five, 3).dtype == np.float32
